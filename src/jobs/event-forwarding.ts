/**
 * Forwarding a job's logged events to its project hub and the queue (see
 * `JobWatchers.forward`): a pass right after each commit, and the `forward` timer when a
 * pass failed. Passes run one at a time, in order.
 */
import type { Timers } from "../durable/timers";

export class EventForwarding {
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    /** One pass: true when everything logged has been handed over. */
    private readonly forward: () => Promise<boolean>,
    private readonly timers: Pick<Timers<"forward">, "schedule" | "scheduled">,
  ) {}

  /** After a commit; a failed pass is left to the `forward` timer (and its backoff, if already retrying). */
  async soon(): Promise<void> {
    if (!(await this.pass()) && !this.timers.scheduled("forward")) this.timers.schedule("forward", Date.now());
  }

  /** The `forward` timer: throws when the pass failed, so the timer backs off. */
  async onTimer(): Promise<void> {
    if (!(await this.pass())) throw new Error("events not forwarded to the hub or queue");
  }

  private pass(): Promise<boolean> {
    const pass = this.inFlight.then(this.forward, this.forward);
    this.inFlight = pass.catch(() => undefined);
    return pass.catch((err: unknown) => {
      console.error(JSON.stringify({ msg: "event forwarding failed", error: String(err) }));
      return false;
    });
  }
}
