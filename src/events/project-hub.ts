/**
 * ProjectHub: one Durable Object per project. Every job object forwards its logged
 * events here, in order and at least once; the hub drops repeats, numbers each frame in
 * the project (`projectSeq`), logs it, fans it out to the project's WebSocket watchers,
 * and queues the matching webhook deliveries, all in one synchronous block, so a frame
 * is never logged without its deliveries nor delivered twice. Three timers share its one
 * alarm (src/durable/timers.ts): deliveries that are due, watcher tokens that expire, and
 * the watch over active jobs that have gone silent (src/events/stall-watch.ts).
 * Addressed by `idFromName(projectId)`, so its project is `ctx.id.name`.
 */
import { DurableObject } from "cloudflare:workers";
import { loadConfig } from "../config";
import type { Env } from "../env";
import type { BatchEvent } from "../batches/batch-store";
import type { JobEvent } from "../jobs/job-store";
import { type Delivery, DeliveryLog } from "../webhooks/delivery-log";
import { WebhookDispatcher } from "../webhooks/dispatcher";
import { ProjectLog } from "./project-log";
import { acceptWatcher, broadcast, closeExpired, echoClose, enableAutoPong, meterClientFrame } from "./sockets";
import { Timers } from "../durable/timers";
import { isActive } from "../contract/status";
import type { Nudge } from "../jobs/stall";
import { StallWatch } from "./stall-watch";

const TAG = "project";
/** The delivery log is bounded (src/webhooks/delivery-log.ts) by a sweep at most this often. */
const PRUNE_EVERY_MS = 60_000;

export class ProjectHub extends DurableObject<Env> {
  private readonly log: ProjectLog;
  private readonly webhooks: WebhookDispatcher;
  private readonly timers: Timers<"deliveries" | "expiry" | "stalls">;
  private readonly stalls: StallWatch;
  private prunedAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    enableAutoPong(ctx);
    const sql = ctx.storage.sql;
    // The last seq fanned out per job: a job object re-sending after a failed hop
    // (at-least-once) never makes a watcher see an event twice.
    sql.exec("CREATE TABLE IF NOT EXISTS job_seq (job_id TEXT PRIMARY KEY, seq INTEGER NOT NULL)");
    this.log = new ProjectLog(sql);
    this.webhooks = new WebhookDispatcher(env, loadConfig(env).webhooks, new DeliveryLog(sql));
    this.stalls = new StallWatch(sql, () => loadConfig(this.env).stallAfterMs);
    this.timers = new Timers<"deliveries" | "expiry" | "stalls">({ storage: ctx.storage })
      .register("deliveries", () => this.sendDue())
      .register("expiry", () => closeExpired(this.ctx) ?? undefined)
      .register("stalls", () => this.stalls.check(this.now(), (jobId, nudge) => this.nudgeJob(jobId, nudge)));
    // Deliveries are durable; the alarm that sends them should be too. Should it ever be
    // lost (a runtime that did not restore it after a crash), the first request re-arms it.
    // A hub with active jobs watches them even if it has not heard from one since it started.
    void ctx.blockConcurrencyWhile(async () => {
      if (this.stalls.watching()) this.watchStalls(Date.now());
      await this.timers.ensureArmed();
    });
  }

  /** The project this hub serves: the name it is addressed by. */
  private get projectId(): string {
    const name = this.ctx.id.name;
    if (name === undefined) throw new Error("A ProjectHub is addressed by idFromName(projectId)");
    return name;
  }

  /** Logs, fans out and queues deliveries for a job's events, in order, skipping those already seen. */
  async publish(events: JobEvent[]): Promise<void> {
    const first = events[0];
    if (first) await this.publishFrom(first.jobId, events);
  }

  /** A batch's events (DESIGN §13), handled like a job's: deduplicated by the batch's own `seq`. */
  async publishBatch(events: BatchEvent[]): Promise<void> {
    const first = events[0];
    if (first) await this.publishFrom(`batch:${first.batchId}`, events);
  }

  /** `source`: whose `seq` the events carry (a job id, or `batch:<id>`). */
  private async publishFrom(source: string, events: (JobEvent | BatchEvent)[]): Promise<void> {
    const subs = await this.webhooks.subscriptions(this.projectId);
    // From here on nothing awaits until the writes are done: they commit together.
    const sql = this.ctx.storage.sql;
    const seen = sql.exec<{ seq: number }>("SELECT seq FROM job_seq WHERE job_id = ?", source).toArray()[0]?.seq ?? 0;
    const fresh = events.filter((e) => e.seq > seen);
    const last = fresh[fresh.length - 1];
    if (!last) return;
    sql.exec("INSERT INTO job_seq (job_id, seq) VALUES (?, ?) ON CONFLICT (job_id) DO UPDATE SET seq = excluded.seq", source, last.seq);
    const now = Date.now();
    const frames = this.log.append(fresh, now).map((frame) => ({ frame, json: JSON.stringify(frame) }));
    const queued = this.webhooks.enqueue(frames, subs, now);
    // The stall watch is over jobs: a batch's own events say nothing of its items' objects.
    const job = "jobId" in last ? last : null;
    if (job) this.stalls.heardFrom(job.jobId);
    const watch = job !== null && isActive(job.job.status) && this.watchStalls(now);
    for (const f of frames) broadcast(this.ctx, TAG, f.json);
    if (queued > 0) await this.deliverSoon(now);
    else if (watch) await this.timers.arm();
  }

  /**
   * The retention purger removed these jobs (or `batch:<id>`s): their de-duplication rows
   * go, and anything the stall watch still held of them.
   */
  forget(sources: string[]): void {
    const sql = this.ctx.storage.sql;
    const ids = JSON.stringify(sources);
    sql.exec("DELETE FROM job_seq WHERE job_id IN (SELECT value FROM json_each(?))", ids);
    sql.exec("DELETE FROM active_jobs WHERE job_id IN (SELECT value FROM json_each(?))", ids);
    sql.exec("DELETE FROM stall_checks WHERE job_id IN (SELECT value FROM json_each(?))", ids);
  }

  /**
   * The retention sweep found a job of this project silent in D1: the hub's alarm may be
   * lost too. Puts the stall watch back on the schedule and sets the alarm if the runtime
   * has none. True when it had to set one.
   */
  async restoreAlarm(): Promise<boolean> {
    if (this.stalls.watching()) this.watchStalls(Date.now());
    return this.timers.restoreAlarm();
  }

  /** A route created, changed or rotated a subscription: reload them before the next delivery. */
  invalidateWebhooks(): void {
    this.webhooks.invalidate();
  }

  /** A route deleted a subscription: its pending deliveries and its log go with it. */
  forgetWebhook(webhookId: string): void {
    this.webhooks.invalidate();
    this.webhooks.log.dropSubscription(webhookId);
  }

  /** A page of one subscription's delivery log, newest first. */
  listDeliveries(webhookId: string, after: { createdAt: number; id: string } | null, limit: number) {
    return this.webhooks.log.list(webhookId, after, limit);
  }

  /** Sends a logged delivery again (a new round of tries, same `webhook-id`); null when absent. */
  async redeliver(webhookId: string, deliveryId: string): Promise<Delivery | null> {
    const now = Date.now();
    if (!this.webhooks.log.redeliver(webhookId, deliveryId, now)) return null;
    await this.deliverSoon(now);
    return this.webhooks.log.get(webhookId, deliveryId);
  }

  /** Queues a `webhook.test` event for one subscription. */
  async sendTest(webhookId: string): Promise<Delivery> {
    this.webhooks.invalidate();
    const now = Date.now();
    const delivery = this.webhooks.enqueueTest(this.projectId, webhookId, now);
    await this.deliverSoon(now);
    return delivery;
  }

  /**
   * WebSocket upgrades, already authenticated and authorised by the Worker: a
   * `project.snapshot` first, or with `?after=<projectSeq>` the frames missed since, when
   * the log still holds them all (else a fresh snapshot). Nothing awaits between reading
   * the log and registering the socket, so the next logged frame is the next one sent.
   */
  override async fetch(request: Request): Promise<Response> {
    const { response, socket, expiresAt } = acceptWatcher(this.ctx, request, TAG);
    const afterParam = new URL(request.url).searchParams.get("after");
    const after = afterParam === null ? null : Number(afterParam);
    if (after !== null && Number.isSafeInteger(after) && after >= 0 && this.log.canReplay(after)) {
      for (const frame of this.log.framesAfter(after)) socket.send(frame);
    } else {
      socket.send(JSON.stringify(this.log.snapshot()));
    }
    this.timers.schedule("expiry", expiresAt);
    await this.timers.arm();
    return response;
  }

  override async alarm(): Promise<void> {
    await this.timers.run(this.now());
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    meterClientFrame(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    echoClose(ws, code, reason);
  }

  /** The hub's clock for the stall watch (a test steps it forward). */
  protected now(): number {
    return Date.now();
  }

  /** Puts the stall watch on the schedule, once; true when it was not already. */
  private watchStalls(now: number): boolean {
    if (this.timers.scheduled("stalls")) return false;
    this.timers.schedule("stalls", now + loadConfig(this.env).stallAfterMs);
    return true;
  }

  /** One RPC to a silent job of this project (its object is addressed by its id). */
  private nudgeJob(jobId: string, nudge: Nudge) {
    return this.env.INGEST_JOB.get(this.env.INGEST_JOB.idFromName(jobId)).nudge(nudge);
  }

  /** The `deliveries` timer: sends what is due, bounds the log, and says when to look again. */
  private async sendDue(): Promise<number | undefined> {
    // Watchers whose token expired are closed before the pump, which may wait on slow
    // receivers for their whole timeout (the expiry entry runs after it when due later).
    closeExpired(this.ctx);
    if (this.webhooks.log.nextDue() !== null) await this.webhooks.pump(this.projectId);
    if (Date.now() - this.prunedAt > PRUNE_EVERY_MS) {
      this.webhooks.log.prune(Date.now());
      this.prunedAt = Date.now();
    }
    return this.webhooks.nextWake() ?? undefined;
  }

  /**
   * Deliveries were just queued: the timer is set for them (durable), and they are sent
   * now rather than when it fires. When it fires, it skips what is in flight and looks
   * again for what is left; a restart mid-attempt leaves the delivery due.
   */
  private async deliverSoon(now: number): Promise<void> {
    this.timers.schedule("deliveries", now);
    await this.timers.arm();
    this.ctx.waitUntil(
      this.webhooks.pump(this.projectId).catch((err: unknown) => {
        console.warn(JSON.stringify({ msg: "webhook pump failed; the alarm retries", projectId: this.projectId, error: String(err) }));
      }),
    );
  }
}
