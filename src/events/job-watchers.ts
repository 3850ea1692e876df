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

/**
 * The least time between two `job.progress` frames on the job's sockets, by how many
 * watch: a frame costs the job's thread ~40 µs per socket (the runtime's
 * `WebSocket.send`, measured with `npm run bench:profile -- --workload fanout`), so at
 * 2 ms per watcher progress frames stay near 2 % of the thread however many watch
 * (1,000 watchers: one every 2 s). Up to 250 watchers this is below the rate progress
 * is logged at, so each of them gets every frame.
 */
export const PROGRESS_FANOUT_MS_PER_WATCHER = 2;

export function progressFanOutInterval(watchers: number): number {
  return watchers * PROGRESS_FANOUT_MS_PER_WATCHER;
}

export class JobWatchers {
  private sent = false;
  /** When a `job.progress` frame last went to the sockets. */
  private progressSentAt = 0;
  /** The newest progress frame waiting for its tick, and the logged frames the sockets skipped. */
  private held: JobEvent | null = null;
  private heldTimer: ReturnType<typeof setTimeout> | null = null;
  private skipped = 0;

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

  /**
   * Delivers a just-committed event to this job's sockets. Every event is logged; the
   * sockets may get fewer `job.progress` frames (see `progressFanOutInterval`): a progress
   * frame due before its socket tick waits, replaced by any newer one, and goes out at
   * the tick, or is dropped when another frame, which carries newer state, goes first.
   * Every other frame goes out at once. A frame sent after held-back progress frames
   * carries `coalesced`: how many logged frames right before it the sockets never got
   * (all of them `job.progress`), so a client that checks `seq` knows the hole is no gap;
   * `GET …/events?after=` still has them all.
   */
  publish(frame: JobEvent): void {
    const now = Date.now();
    if (frame.type === "job.progress") {
      const due = this.progressSentAt + progressFanOutInterval(this.count());
      if (now < due) {
        if (this.held) this.skipped++;
        this.held = frame;
        this.heldTimer ??= setTimeout(() => this.sendHeld(), due - now);
        return;
      }
      this.progressSentAt = now;
    }
    if (this.held) {
      this.skipped++;
      this.held = null;
    }
    this.send(frame);
  }

  private sendHeld(): void {
    this.heldTimer = null;
    const held = this.held;
    if (!held) return;
    this.held = null;
    this.progressSentAt = Date.now();
    this.send(held);
  }

  private send(frame: JobEvent): void {
    const json = JSON.stringify(this.skipped > 0 ? { ...frame, coalesced: this.skipped } : frame);
    this.skipped = 0;
    this.sent = broadcast(this.ctx, TAG, json) > 0 || this.sent;
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
