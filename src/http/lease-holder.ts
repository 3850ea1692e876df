/**
 * The isolate's side of a rate-limit lease for one key: spends granted tokens locally and
 * asks the key's limiter object for more only when they run out. No Cloudflare types: the
 * ask is injected, so the same class runs in the Worker and in the simulation tests.
 */
import { type LeaseAsk, type LeaseGrant, noRate, observeArrival, type RateEstimate } from "./leases";

/** The outcome of charging one request. `resetAt` is (local) epoch ms when it may pass again. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetAt: number;
}

interface Lease {
  tokens: number;
  limit: number;
  /** The object's unspent budget when it granted this lease. */
  remaining: number;
  /** Local epoch ms after which the tokens are void (before the window's end: see `LeaseGrant`). */
  expiresAt: number;
}

/** Asks the key's limiter object for tokens, in the context of the request that calls it. */
export type AskForLease = (ask: LeaseAsk) => Promise<LeaseGrant>;

/**
 * An ask older than this is presumed lost (its request was cancelled mid-flight, say): a
 * waiting request asks again rather than wait behind it forever. A late answer to the old
 * ask is still applied; its tokens were granted for real, so spending them is safe.
 */
export const ASK_STALE_MS = 5_000;
/** How often a request waiting behind another request's ask looks at the lease again. */
export const WAIT_POLL_MS = 1;

/**
 * One key's lease in one isolate. Requests are decided from the lease's tokens. When it is
 * empty or expired, one request asks the object (one ask in flight per key, telling it how
 * many requests wait) and the others wait for that answer, so concurrent requests never
 * double-spend. Once the object has said the window is spent, later requests are refused
 * locally until the window ends: a caller hammering past its limit costs the object nothing.
 *
 * Waiting requests poll the lease with a short timer instead of awaiting a promise the
 * asking request resolves: in Workers, a promise settled from another request's context
 * is refused ("Cannot perform I/O on behalf of a different request"), and would hang if
 * the asking request were cancelled. Each request only ever awaits its own I/O.
 */
export class LeaseHolder {
  private lease: Lease | null = null;
  private rate: RateEstimate;
  /** Requests of this isolate currently waiting for a token. */
  private waiting = 0;
  /** When the ask in flight was sent, if one is. */
  private askSentAt: number | null = null;

  constructor(
    private readonly isolate: string,
    private readonly clock: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.rate = noRate(clock());
  }

  /** Charges one request; `ask` is how this request asks the object if it has to. */
  async acquire(ask: AskForLease): Promise<RateDecision> {
    this.rate = observeArrival(this.rate, this.clock());
    const first = this.waiting === 0 ? this.decideLocally(this.clock()) : null;
    if (first) return first;
    this.waiting += 1;
    try {
      for (;;) {
        const now = this.clock();
        const decision = this.decideLocally(now);
        if (decision) return decision;
        if (this.askSentAt === null || now - this.askSentAt > ASK_STALE_MS) await this.refill(ask);
        else await this.sleep(WAIT_POLL_MS);
      }
    } finally {
      this.waiting -= 1;
    }
  }

  /** True when nothing waits and the lease has expired: the holder can be dropped. */
  idle(now = this.clock()): boolean {
    return this.waiting === 0 && this.askSentAt === null && (this.lease === null || now >= this.lease.expiresAt);
  }

  /** Forgets the lease (what a crash of the isolate does); for tests and the simulation. */
  drop(): void {
    this.lease = null;
  }

  private decideLocally(now: number): RateDecision | null {
    const l = this.lease;
    if (!l || now >= l.expiresAt) return null;
    if (l.tokens > 0) {
      l.tokens -= 1;
      return { allowed: true, limit: l.limit, remaining: l.remaining + l.tokens, resetAt: l.expiresAt };
    }
    return l.remaining === 0 ? { allowed: false, limit: l.limit, remaining: 0, resetAt: l.expiresAt } : null;
  }

  /** One ask for every request waiting now. A grant that arrives after its window is void. */
  private async refill(ask: AskForLease): Promise<void> {
    const sentAt = this.clock();
    this.askSentAt = sentAt;
    try {
      const grant = await ask({ isolate: this.isolate, want: this.waiting, rate: this.rate.perSecond });
      this.lease = { tokens: grant.tokens, limit: grant.limit, remaining: grant.remaining, expiresAt: sentAt + grant.validForMs };
    } finally {
      if (this.askSentAt === sentAt) this.askSentAt = null;
    }
  }
}
