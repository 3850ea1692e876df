/**
 * The watchers of one job: per-job WebSockets (hibernation API) and the forwarding of
 * every logged event to the project's hub and, when bound, the `JOB_EVENTS` queue.
 */
import type { Env } from "../env";
import type { JobEvent } from "../contract/job-event";
import type { JobStore } from "../jobs/job-store";
import type { EventOutbox } from "../jobs/outbox";
import { isTerminal } from "../contract/status";
import { acceptWatcher, broadcast, CLOSE_NORMAL, closeAll, closeExpired, enableAutoPong, watcherCount } from "./sockets";

const TAG = "job";
/** Events per hub/queue call; a queue batch holds at most 100 messages. */
const FORWARD_BATCH = 100;

export class JobWatchers {
  private sent = false;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    private readonly store: JobStore,
    private readonly outbox: EventOutbox,
  ) {
    enableAutoPong(ctx);
  }

  /**
   * Accepts a watcher: a `job.snapshot` first, or with `?after=<seq>` the logged events
   * it missed (a snapshot when `after` is past the log's end: a position this job never
   * had). Nothing awaits between reading the log and registering the socket, so the next
   * committed event is the next frame: no gap, no duplicate. A resuming watcher of a job
   * that has ended has then seen everything: its socket is closed (1000) at once.
   */
  accept(request: Request): { response: Response; expiresAt: number } {
    const job = this.store.job()!;
    const { response, socket, expiresAt } = acceptWatcher(this.ctx, request, TAG);
    const afterParam = new URL(request.url).searchParams.get("after");
    const lastSeq = this.store.lastSeq();
    if (afterParam === null || Number(afterParam) > lastSeq) {
      socket.send(JSON.stringify({ type: "job.snapshot", seq: lastSeq, job }));
    } else {
      let after = Number(afterParam);
      for (;;) {
        const batch = this.store.events(after, 1000);
        for (const e of batch) socket.send(JSON.stringify(e));
        if (batch.length < 1000) break;
        after = batch[batch.length - 1]!.seq;
      }
    }
    if (afterParam !== null && isTerminal(job.status)) socket.close(CLOSE_NORMAL, "Job has ended");
    return { response, expiresAt };
  }

  /** Sockets watching the job (those closed since the last frame included). */
  count(): number {
    return watcherCount(this.ctx, TAG);
  }

  /** True if frames were sent since the last call (so the caller may yield to flush them). */
  takeSent(): boolean {
    const sent = this.sent;
    this.sent = false;
    return sent;
  }

  /** Delivers a just-committed event to this job's sockets. */
  publish(frame: JobEvent): void {
    this.sent = broadcast(this.ctx, TAG, JSON.stringify(frame)) > 0 || this.sent;
  }

  /**
   * Hands every logged event not yet forwarded to the project hub and the queue, in
   * order. Returns false when a hop failed; the caller retries from its alarm, and the
   * hub drops events it has already seen (delivery to the queue is at-least-once).
   */
  async forward(): Promise<boolean> {
    const job = this.store.job();
    if (!job) return true;
    for (;;) {
      const from = this.outbox.forwardedSeq();
      const batch = this.store.events(from, FORWARD_BATCH);
      if (batch.length === 0) return true;
      try {
        const hub = this.env.PROJECT_HUB.get(this.env.PROJECT_HUB.idFromName(job.projectId));
        await Promise.all([hub.publish(batch), this.env.JOB_EVENTS?.sendBatch(batch.map((body) => ({ body, contentType: "json" as const })))]);
      } catch (err) {
        console.warn(JSON.stringify({ msg: "event forward failed", jobId: job.id, error: String(err) }));
        return false;
      }
      const last = batch[batch.length - 1];
      if (last) this.outbox.markForwarded(last.seq);
    }
  }

  /** Closes watchers whose token expired; the next expiry ahead, or null. */
  expire(): number | null {
    return closeExpired(this.ctx);
  }

  closeAll(code: number, reason: string): void {
    closeAll(this.ctx, code, reason);
  }
}
