/**
 * The job's row in the D1 index (DESIGN §8): written when the outbox says it is due (a
 * status or stage change at once, progress at most every `INDEX_PROGRESS_INTERVAL_MS`),
 * otherwise left to the `index` timer; a failed write is retried by that timer with
 * backoff, and the version guard keeps an older row from overwriting a newer one, so the
 * index always converges to the object. Every statement the job sends to D1 is counted.
 */
import type { Env } from "../env";
import { newerBookmark, projectDb, sessionDatabase } from "../db/shards";
import type { Timers } from "../durable/timers";
import { upsertJobRow } from "./job-index";
import type { Job } from "./lifecycle";
import type { JobStore } from "./job-store";
import { meterD1, type IndexDecision, type IndexOutbox } from "./outbox";

export class IndexWriter {
  /** D1 bookmark of the latest index write from this instance (null until one succeeds). */
  bookmark: string | null = null;

  constructor(
    private readonly env: Env,
    private readonly store: JobStore,
    private readonly outbox: IndexOutbox,
    private readonly timers: Pick<Timers<"index">, "schedule" | "scheduled" | "unschedule">,
    /** INDEX_PROGRESS_INTERVAL_MS. */
    private readonly progressIntervalMs: () => number,
  ) {}

  /** Records a commit of the job (`before` → `after`, now at `version`) for the next decision. */
  noteCommit(before: Job | null, after: Job, version: number): void {
    this.outbox.noteCommit(before, after, version);
  }

  /** The job's project database (or a session on it), every statement counted (DESIGN §8 budget). */
  d1(db: D1Database = projectDb(this.env, this.store.projectId() ?? "")): D1Database {
    return meterD1(db, (n) => this.outbox.countStatements(n));
  }

  /**
   * After a commit: writes the row now when it is due; otherwise leaves it to the `index`
   * timer (a progress-only change, or a write that failed here).
   */
  async flush(): Promise<void> {
    const decision = this.decide();
    if (decision.kind === "none") return this.timers.unschedule("index");
    if (decision.kind === "at") {
      // An entry already there (a retry in backoff, or an earlier due time) is kept.
      if (!this.timers.scheduled("index")) this.timers.schedule("index", decision.due);
      return;
    }
    try {
      await this.write();
      if (this.decide().kind === "none") this.timers.unschedule("index");
    } catch (err) {
      console.warn(JSON.stringify({ msg: "index write failed; the index timer retries it", jobId: this.store.job()?.id, error: String(err).slice(0, 200) }));
      if (!this.timers.scheduled("index")) this.timers.schedule("index", Date.now());
    }
  }

  /**
   * The `index` timer: writes the row if D1 is behind (progress alone included) and
   * returns when it is next due. A failed write throws, and the timer backs off.
   */
  async onTimer(): Promise<number | undefined> {
    if (this.decide().kind === "none") return undefined;
    await this.write();
    const next = this.decide();
    return next.kind === "none" ? undefined : next.kind === "now" ? Date.now() : next.due;
  }

  /**
   * Writes the row now if a status or stage change is not in D1 yet, unless a failed
   * write is already waiting for its retry (the timer's backoff owns it then).
   */
  async flushUrgent(): Promise<void> {
    const state = this.store.state();
    if (!state || !this.outbox.hasUrgent(state.indexedVersion)) return;
    if ((this.timers.scheduled("index")?.attempts ?? 0) > 0) return;
    await this.flush();
  }

  private decide(): IndexDecision {
    const state = this.store.state();
    return state ? this.outbox.decide(state.version, state.indexedVersion, Date.now(), this.progressIntervalMs()) : { kind: "none" };
  }

  /** Upserts the row at the current version, in a D1 session so its bookmark can go back to the caller (DESIGN §12). */
  private async write(): Promise<void> {
    const state = this.store.state();
    if (!state) return;
    const urgent = this.outbox.hasUrgent(state.indexedVersion);
    const session = projectDb(this.env, state.job.projectId).withSession("first-primary");
    await upsertJobRow(this.d1(sessionDatabase(session)), state.job, state.version);
    this.bookmark = newerBookmark(this.bookmark, session.getBookmark());
    this.store.markIndexed(state.version);
    this.outbox.markIndexed(Date.now(), !urgent);
  }
}
