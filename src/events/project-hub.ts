/**
 * ProjectHub: one Durable Object per project. Every job object forwards its logged
 * events here, in order and at least once; the hub drops repeats, numbers each frame in
 * the project (`projectSeq`), logs it, fans it out to the project's WebSocket watchers,
 * and queues the matching webhook deliveries, all in one synchronous block, so a frame
 * is never logged without its deliveries nor delivered twice. One alarm is multiplexed
 * over two kinds of due work: watcher tokens that expire and deliveries that are due.
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
import { clampAlarmTime } from "../durable/alarm-time";

const TAG = "project";
/** The delivery log is bounded (src/webhooks/delivery-log.ts) by a sweep at most this often. */
const PRUNE_EVERY_MS = 60_000;

export class ProjectHub extends DurableObject<Env> {
  private readonly log: ProjectLog;
  private readonly webhooks: WebhookDispatcher;
  private prunedAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    enableAutoPong(ctx);
    const sql = ctx.storage.sql;
    // The last seq fanned out per job: a job object re-sending after a failed hop
    // (at-least-once) never makes a watcher see an event twice.
    sql.exec("CREATE TABLE IF NOT EXISTS job_seq (job_id TEXT PRIMARY KEY, seq INTEGER NOT NULL)");
    // The object does not know the name it was addressed by; its project id is kept here.
    sql.exec("CREATE TABLE IF NOT EXISTS hub (k INTEGER PRIMARY KEY CHECK (k = 1), project_id TEXT NOT NULL)");
    this.log = new ProjectLog(sql);
    this.webhooks = new WebhookDispatcher(env, loadConfig(env).webhooks, new DeliveryLog(sql));
    // Deliveries are durable; the alarm that sends them should be too. Should it ever be
    // lost (a runtime that did not restore it after a crash), the first request re-arms it.
    void ctx.blockConcurrencyWhile(async () => {
      const due = this.webhooks.log.nextDue();
      if (due !== null && (await ctx.storage.getAlarm()) === null) await ctx.storage.setAlarm(clampAlarmTime(Math.max(due, Date.now() + 1)));
    });
  }

  /** Logs, fans out and queues deliveries for a job's events, in order, skipping those already seen. */
  async publish(events: JobEvent[]): Promise<void> {
    const first = events[0];
    if (first) await this.publishFrom(first.jobId, first.projectId, events);
  }

  /** A batch's events (DESIGN §13), handled like a job's: deduplicated by the batch's own `seq`. */
  async publishBatch(events: BatchEvent[]): Promise<void> {
    const first = events[0];
    if (first) await this.publishFrom(`batch:${first.batchId}`, first.projectId, events);
  }

  private async publishFrom(source: string, projectId: string, events: (JobEvent | BatchEvent)[]): Promise<void> {
    this.rememberProject(projectId);
    const subs = await this.webhooks.subscriptions(projectId);
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
    for (const f of frames) broadcast(this.ctx, TAG, f.json);
    if (queued > 0) await this.deliverSoon(projectId, now);
  }

  /** A route created, changed or rotated a subscription: reload them before the next delivery. */
  invalidateWebhooks(projectId: string): void {
    this.rememberProject(projectId);
    this.webhooks.invalidate();
  }

  /** A route deleted a subscription: its pending deliveries and its log go with it. */
  forgetWebhook(projectId: string, webhookId: string): void {
    this.rememberProject(projectId);
    this.webhooks.invalidate();
    this.webhooks.log.dropSubscription(webhookId);
  }

  /** A page of one subscription's delivery log, newest first. */
  listDeliveries(webhookId: string, after: { createdAt: number; id: string } | null, limit: number) {
    return this.webhooks.log.list(webhookId, after, limit);
  }

  /** Sends a logged delivery again (a new round of tries, same `webhook-id`); null when absent. */
  async redeliver(projectId: string, webhookId: string, deliveryId: string): Promise<Delivery | null> {
    this.rememberProject(projectId);
    const now = Date.now();
    if (!this.webhooks.log.redeliver(webhookId, deliveryId, now)) return null;
    await this.deliverSoon(projectId, now);
    return this.webhooks.log.get(webhookId, deliveryId);
  }

  /** Queues a `webhook.test` event for one subscription. */
  async sendTest(projectId: string, webhookId: string): Promise<Delivery> {
    this.rememberProject(projectId);
    this.webhooks.invalidate();
    const now = Date.now();
    const delivery = this.webhooks.enqueueTest(projectId, webhookId, now);
    await this.deliverSoon(projectId, now);
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
    await this.armBy(expiresAt);
    return response;
  }

  /** Sends due deliveries, closes watchers whose token expired, and re-arms for what comes next. */
  override async alarm(): Promise<void> {
    const projectId = this.projectId();
    try {
      if (projectId !== null && this.webhooks.log.nextDue() !== null) {
        await this.webhooks.pump(projectId);
        if (Date.now() - this.prunedAt > PRUNE_EVERY_MS) {
          this.webhooks.log.prune(Date.now());
          this.prunedAt = Date.now();
        }
      }
    } catch (err) {
      // One failing kind of work never stops the other (watcher expiry) or the re-arm.
      console.error(JSON.stringify({ msg: "hub alarm work failed", projectId, error: String(err).slice(0, 300) }));
    }
    const expiry = closeExpired(this.ctx);
    const due = this.webhooks.nextWake();
    const next = expiry === null ? due : due === null ? expiry : Math.min(expiry, due);
    if (next !== null) await this.ctx.storage.setAlarm(clampAlarmTime(Math.max(next, Date.now() + 1)));
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    meterClientFrame(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    echoClose(ws, code, reason);
  }

  /**
   * Deliveries were just queued: the alarm is armed for them (durable), and they are
   * sent now rather than when it fires. When it fires, it skips what is in flight and
   * re-arms for what is left; a restart mid-attempt leaves the delivery due.
   */
  private async deliverSoon(projectId: string, now: number): Promise<void> {
    await this.armBy(now + 1);
    this.ctx.waitUntil(
      this.webhooks.pump(projectId).catch((err: unknown) => {
        console.warn(JSON.stringify({ msg: "webhook pump failed; the alarm retries", projectId, error: String(err) }));
      }),
    );
  }

  /** Arms the alarm for `t` unless it is already armed earlier. */
  private async armBy(t: number): Promise<void> {
    const armed = await this.ctx.storage.getAlarm();
    if (armed === null || t < armed) await this.ctx.storage.setAlarm(clampAlarmTime(t));
  }

  private rememberProject(projectId: string): void {
    this.ctx.storage.sql.exec("INSERT INTO hub (k, project_id) VALUES (1, ?) ON CONFLICT (k) DO NOTHING", projectId);
  }

  private projectId(): string | null {
    return this.ctx.storage.sql.exec<{ project_id: string }>("SELECT project_id FROM hub WHERE k = 1").toArray()[0]?.project_id ?? null;
  }
}
