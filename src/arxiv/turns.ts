/**
 * Turns at the gate: one request to arXiv at a time, callers served round-robin so one
 * big harvest cannot starve another, and a caller's queued turns dropped at once by
 * `cancel`. In memory only: a turn is a waiting RPC call, and when the gate object is
 * evicted those calls fail with it, so there is nothing to recover (their callers retry;
 * the pacing state that must survive lives in the gate's storage).
 */

/** A granted turn; pass it back to `release`. */
export interface Turn {
  callerId: string;
  /** Set when the caller was cancelled while holding the turn, before its request went out. */
  cancelled: boolean;
}

interface Waiter {
  turn: Turn;
  grant: (turn: Turn | null) => void;
}

export class TurnQueue {
  private holder: Turn | null = null;
  /** Waiting turns per caller, in arrival order; the map's order is the round-robin ring. */
  private readonly waiting = new Map<string, Waiter[]>();

  /** Resolves with the turn when it is the caller's, or null when the caller was cancelled first. */
  acquire(callerId: string): Promise<Turn | null> {
    const turn: Turn = { callerId, cancelled: false };
    if (!this.holder) {
      this.holder = turn;
      return Promise.resolve(turn);
    }
    return new Promise((grant) => {
      const queue = this.waiting.get(callerId) ?? [];
      queue.push({ turn, grant });
      this.waiting.set(callerId, queue);
    });
  }

  /** Ends `turn` and hands the next one to the caller after `turn`'s in the ring. */
  release(turn: Turn): void {
    if (this.holder !== turn) return;
    this.holder = null;
    const next = this.takeNext();
    if (next) {
      this.holder = next.turn;
      next.grant(next.turn);
    }
  }

  /** Drops every waiting turn of `callerId` (and marks its held one); returns how many. */
  cancel(callerId: string): number {
    const queue = this.waiting.get(callerId) ?? [];
    this.waiting.delete(callerId);
    for (const w of queue) w.grant(null);
    let dropped = queue.length;
    if (this.holder?.callerId === callerId && !this.holder.cancelled) {
      this.holder.cancelled = true;
      dropped++;
    }
    return dropped;
  }

  /** Turns waiting per caller, plus the held one. */
  snapshot(): { holder: string | null; waiting: Record<string, number> } {
    const waiting: Record<string, number> = {};
    for (const [caller, queue] of this.waiting) waiting[caller] = queue.length;
    return { holder: this.holder?.callerId ?? null, waiting };
  }

  /** Turns ahead of a new request of `callerId` under round-robin (an upper bound). */
  ahead(callerId: string): number {
    let n = this.holder ? 1 : 0;
    const mine = this.waiting.get(callerId)?.length ?? 0;
    for (const [caller, queue] of this.waiting) n += caller === callerId ? queue.length : Math.min(queue.length, mine + 1);
    return n;
  }

  /**
   * The first waiter of the caller that has waited longest for its turn: the ring's head;
   * a caller that still has waiters goes to the back of the ring.
   */
  private takeNext(): Waiter | null {
    for (const [caller, queue] of this.waiting) {
      this.waiting.delete(caller);
      const next = queue.shift();
      if (queue.length > 0) this.waiting.set(caller, queue);
      if (next) return next;
    }
    return null;
  }
}
