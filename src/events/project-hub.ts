/**
 * ProjectHub: one Durable Object per project. Every job object forwards its logged
 * events here; the hub fans them out to the project's WebSocket watchers, so a watcher
 * sees every job of the project, including jobs created after it connected.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { JobEvent } from "../jobs/job-store";
import { acceptWatcher, broadcast, closeExpired, echoClose, enableAutoPong } from "./sockets";
import { clampAlarmTime } from "../jobs/alarm-time";

const TAG = "project";

export class ProjectHub extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    enableAutoPong(ctx);
    // The last seq fanned out per job: a job object re-sending after a failed hop
    // (at-least-once) never makes a watcher see an event twice.
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS job_seq (job_id TEXT PRIMARY KEY, seq INTEGER NOT NULL)");
  }

  /** Fans out a job's events, in order, skipping those already delivered. */
  publish(events: JobEvent[]): void {
    const first = events[0];
    if (!first) return;
    const sql = this.ctx.storage.sql;
    const seen = sql.exec<{ seq: number }>("SELECT seq FROM job_seq WHERE job_id = ?", first.jobId).toArray()[0]?.seq ?? 0;
    const fresh = events.filter((e) => e.seq > seen);
    const last = fresh[fresh.length - 1];
    if (!last) return;
    sql.exec(
      "INSERT INTO job_seq (job_id, seq) VALUES (?, ?) ON CONFLICT (job_id) DO UPDATE SET seq = excluded.seq",
      last.jobId,
      last.seq,
    );
    for (const e of fresh) broadcast(this.ctx, TAG, JSON.stringify(e));
  }

  /** WebSocket upgrades, already authenticated and authorised by the Worker. */
  override async fetch(request: Request): Promise<Response> {
    const { response, expiresAt } = acceptWatcher(this.ctx, request, TAG);
    const armed = await this.ctx.storage.getAlarm();
    if (armed === null || expiresAt < armed) await this.ctx.storage.setAlarm(clampAlarmTime(expiresAt));
    return response;
  }

  /** Closes watchers whose token expired, and waits for the next expiry. */
  override async alarm(): Promise<void> {
    const next = closeExpired(this.ctx);
    if (next !== null) await this.ctx.storage.setAlarm(clampAlarmTime(Math.max(next, Date.now() + 1)));
  }

  override async webSocketMessage(): Promise<void> {
    // Watchers only listen; "ping" is answered by the runtime's auto-response.
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    echoClose(ws, code, reason);
  }
}
