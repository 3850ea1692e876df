/**
 * RetentionPurger: one Durable Object per D1 shard (`idFromName(shardName)`), whose alarm
 * does two bounded jobs over its shard (docs/retention.md):
 *
 * - `purge`: a page of finished or deleted jobs and batches past their retention (each
 *   object purges itself: storage, alarm, R2; then this object deletes their rows), and a
 *   page of expired idempotency claims. Back at once while pages come back full, else
 *   after `PURGE_INTERVAL_MS`.
 * - `sweep`: jobs that should be moving but whose row has not been written for
 *   `STALL_AFTER_MS`, a page at a time: their project hub's alarm is restored and each job
 *   is nudged (it re-arms a lost alarm). The hub's own stall watch cannot help a project
 *   whose hub alarm is lost too; this reaches it from D1, which nobody has to read.
 *
 * Per shard rather than per project: a shard's work is found by one index range whatever
 * the number of projects, and it reaches projects nobody reads. The cron trigger wakes
 * every shard's purger (`wake`), which starts one that never ran and re-arms a lost alarm.
 */
import { DurableObject } from "cloudflare:workers";
import { loadConfig } from "../config";
import { shardNames } from "../db/shards";
import { Timers } from "../durable/timers";
import type { Env } from "../env";
import { meterD1 } from "../jobs/outbox";
import { DAY_MS, finishedCutoff, type PurgeOutcome, type PurgeRequest } from "./policy";
import { type PurgerStats, PurgerStore } from "./purger-store";
import { byProject, deleteExpiredClaims, deleteProjectRows, type PurgedTable, type ScannedRow, SCAN_START, ShardScan } from "./shard-scan";

export type { PurgerStats };

/** Rows (jobs and batches) one purge alarm reads at most; each is one object call at most. */
export const PURGE_PAGE = 50;
/** Expired idempotency claims deleted per purge alarm at most. */
export const CLAIMS_PAGE = 200;
/** Silent jobs one sweep alarm nudges at most. */
export const SWEEP_PAGE = 25;
/** A purger with nothing due looks again this often: retention is counted in days, so an hour late is nothing. */
export const PURGE_INTERVAL_MS = 3_600_000;

const TABLES: PurgedTable[] = ["jobs", "batches"];

export class RetentionPurger extends DurableObject<Env> {
  private readonly timers: Timers<"purge" | "sweep">;
  private readonly store: PurgerStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new PurgerStore(ctx.storage.sql);
    this.timers = new Timers<"purge" | "sweep">({ storage: ctx.storage }).register("purge", () => this.purgePage()).register("sweep", () => this.sweepPage());
  }

  /** The shard this purger works on: the name it is addressed by. */
  private get shard(): string {
    const name = this.ctx.id.name;
    if (name === undefined || !shardNames(this.env).includes(name)) throw new Error(`A RetentionPurger is addressed by a D1 shard's name, got ${String(name)}`);
    return name;
  }

  /**
   * A purge pass now, the sweep on the schedule, and the alarm really set (the cron calls
   * this every 15 minutes: it starts a purger that never ran and re-arms a lost alarm).
   */
  async wake(): Promise<void> {
    const now = this.now();
    this.timers.schedule("purge", now);
    if (!this.timers.scheduled("sweep")) this.timers.schedule("sweep", now + loadConfig(this.env).stallAfterMs);
    if (!(await this.timers.restoreAlarm())) await this.timers.arm();
  }

  async stats(): Promise<PurgerStats> {
    return this.store.stats();
  }

  override async alarm(): Promise<void> {
    await this.timers.run(this.now());
  }

  /** The purger's clock (a test steps it forward). */
  protected now(): number {
    return Date.now();
  }

  // --- purge ---------------------------------------------------------------------------

  /** The `purge` timer: one page; back at once when the page was full and purged something. */
  private async purgePage(): Promise<number> {
    const now = this.now();
    const { days, deletedGraceDays } = loadConfig(this.env).retention;
    const stats = this.store.stats();
    stats.purgeAlarms++;
    const scan = new ShardScan(this.d1(this.shardDb(), stats));
    await this.rescanIfSettingsChanged(scan);
    const deletedBefore = now - Math.round(deletedGraceDays * DAY_MS);
    const defaultBefore = finishedCutoff(now, days);
    let budget = PURGE_PAGE;
    let purged = 0;
    for (const table of TABLES) {
      if (budget <= 0) break;
      const deleted = await scan.deleted(table, deletedBefore, budget);
      budget -= deleted.length;
      purged += await this.purgeRows(table, deleted, () => ({ finishedBefore: null, deletedBefore }), stats);
      if (budget <= 0) break;
      const overridden = await scan.pastOverrides(table, now, budget);
      budget -= overridden.length;
      purged += await this.purgeRows(
        table,
        overridden,
        (row) => ({ finishedBefore: finishedCutoff(now, row.retentionDays ?? days), deletedBefore: null }),
        stats,
      );
      if (budget <= 0) break;
      const page = await scan.pastDefault(table, defaultBefore, this.store.cursor(`purge:${table}`), budget);
      budget -= page.length;
      const last = page.at(-1);
      if (last) this.store.saveCursor(`purge:${table}`, { at: last.updatedAt, id: last.id });
      // Rows of projects with an override are `pastOverrides`'s; the cursor has moved past them.
      const defaults = page.filter((row) => row.retentionDays === null);
      purged += await this.purgeRows(table, defaults, () => ({ finishedBefore: defaultBefore, deletedBefore: null }), stats);
    }
    const claims = await scan.expiredClaims(now, CLAIMS_PAGE);
    for (const [projectId, keys] of byProject(claims)) {
      await deleteExpiredClaims(
        this.env,
        (db) => this.d1(db, stats),
        projectId,
        keys.map((k) => k.key),
        now,
      );
    }
    stats.deletedClaims += claims.length;
    stats.lastPageRows = PURGE_PAGE - budget;
    this.store.saveStats(stats);
    const more = (budget <= 0 && purged > 0) || claims.length === CLAIMS_PAGE;
    return more ? this.now() : this.now() + PURGE_INTERVAL_MS;
  }

  /**
   * Asks each row's object to purge itself, then deletes the rows of those purged (or
   * already gone) and tells their hubs to forget them: one D1 statement and one hub call
   * per project. A row whose object refused (active, changed) or could not be reached
   * stays, and is looked at again on a later alarm. Returns the rows deleted.
   */
  private async purgeRows(table: PurgedTable, rows: ScannedRow[], request: (row: ScannedRow) => PurgeRequest, stats: PurgerStats): Promise<number> {
    if (rows.length === 0) return 0;
    stats.objectCalls += rows.length;
    const outcomes = await Promise.all(
      rows.map((row) =>
        this.purgeObject(table, row.id, request(row)).catch((err: unknown) => {
          console.warn(JSON.stringify({ msg: "purge failed; tried again later", table, id: row.id, error: String(err).slice(0, 300) }));
          return null;
        }),
      ),
    );
    const done = rows.filter((_, i) => outcomes[i] === "purged" || outcomes[i] === "gone");
    for (const [projectId, group] of byProject(done)) {
      const ids = group.map((r) => r.id);
      await deleteProjectRows(this.env, (db) => this.d1(db, stats), table, projectId, ids);
      stats.objectCalls++;
      await this.hub(projectId).forget(table === "jobs" ? ids : ids.map((id) => `batch:${id}`));
    }
    if (table === "jobs") stats.purgedJobs += done.length;
    else stats.purgedBatches += done.length;
    return done.length;
  }

  private purgeObject(table: PurgedTable, id: string, request: PurgeRequest): Promise<PurgeOutcome> {
    if (table === "jobs") return this.env.INGEST_JOB.get(this.env.INGEST_JOB.idFromName(id)).purge(request);
    return this.env.INGEST_BATCH.get(this.env.INGEST_BATCH.idFromName(id)).purge(request);
  }

  /** An override added, changed or removed: the default scan starts over, since it moved past the rows of overridden projects. */
  private async rescanIfSettingsChanged(scan: ShardScan): Promise<void> {
    if (this.store.settingsChanged(await scan.settingsVersion())) this.store.resetCursors("purge:");
  }

  // --- sweep ---------------------------------------------------------------------------

  /**
   * The `sweep` timer: a page of jobs whose rows say they have been silent for
   * `STALL_AFTER_MS`. Each project's hub gets its alarm restored (its stall watch counts
   * the nudges and fails a job that cannot move) and each job one nudge that re-arms a
   * lost alarm. A round pages through the shard; the next starts `STALL_AFTER_MS` later.
   */
  private async sweepPage(): Promise<number> {
    const now = this.now();
    const stallAfterMs = loadConfig(this.env).stallAfterMs;
    const stats = this.store.stats();
    stats.sweepAlarms++;
    const scan = new ShardScan(this.d1(this.shardDb(), stats));
    const cursor = this.store.cursor("sweep");
    // A round judges silence as of its start, so its pages agree on what "silent" means.
    const midRound = cursor.at !== SCAN_START.at;
    const roundStart = midRound ? this.store.cursor("sweep:start").at : now;
    if (!midRound) this.store.saveCursor("sweep:start", { at: now, id: "" });
    const silent = await scan.silentJobs(roundStart - stallAfterMs, cursor, SWEEP_PAGE);
    const projects = [...byProject(silent).keys()];
    stats.objectCalls += projects.length + silent.length;
    await Promise.all(projects.map((projectId) => this.hub(projectId).restoreAlarm().catch(logFailure("hub restore", projectId))));
    await Promise.all(
      silent.map((row) =>
        this.env.INGEST_JOB.get(this.env.INGEST_JOB.idFromName(row.id))
          .nudge({ previous: 0, silentMs: now - row.updatedAt })
          .catch(logFailure("sweep nudge", row.id)),
      ),
    );
    stats.nudgedJobs += silent.length;
    // Logged: each one is a job its own alarm and its hub both failed to move.
    if (silent.length > 0)
      console.warn(JSON.stringify({ msg: "retention sweep nudged silent jobs", shard: this.shard, projects: projects.length, jobs: silent.length }));
    this.store.saveStats(stats);
    const last = silent.at(-1);
    if (silent.length === SWEEP_PAGE && last) {
      this.store.saveCursor("sweep", { at: last.updatedAt, id: last.id });
      return this.now();
    }
    this.store.resetCursors("sweep");
    return roundStart + stallAfterMs;
  }

  // --- plumbing ------------------------------------------------------------------------

  private shardDb(): D1Database {
    return (this.env as unknown as Record<string, D1Database>)[this.shard]!;
  }

  /** `db` with its statements counted into `stats`. */
  private d1(db: D1Database, stats: PurgerStats): D1Database {
    return meterD1(db, (n) => {
      stats.d1Statements += n;
    });
  }

  private hub(projectId: string) {
    return this.env.PROJECT_HUB.get(this.env.PROJECT_HUB.idFromName(projectId));
  }
}

function logFailure(what: string, id: string) {
  return (err: unknown) => {
    console.warn(JSON.stringify({ msg: `${what} failed; the next round tries again`, id, error: String(err).slice(0, 300) }));
    return null;
  };
}

/** The purger of each D1 shard, woken (the cron trigger's work). */
export async function wakePurgers(env: Env): Promise<void> {
  await Promise.all(shardNames(env).map((name) => env.RETENTION_PURGER.get(env.RETENTION_PURGER.idFromName(name)).wake()));
}
