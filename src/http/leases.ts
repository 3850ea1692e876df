/**
 * Rate-limit leases (DESIGN §6), the pure core: how many tokens the limiter object of one
 * key grants an isolate, and how an isolate estimates its own request rate. No Cloudflare
 * types; the limiter object (`rate-limiter.ts`) and the isolate's holder
 * (`lease-holder.ts`) are the shells around it.
 *
 * The invariant: per fixed window the object hands out at most `limit` tokens in total,
 * a token is valid only inside the window it was granted for, and an isolate spends only
 * tokens it was granted. So no window ever admits more than its limit, however many
 * isolates there are. What a lease can cost is the other way round: tokens granted to an
 * isolate that does not spend them before the window ends are lost for that window
 * (under-admission). The sizing below keeps that small.
 */

/** How far ahead an isolate's lease is sized to last at its observed rate. */
export const LEASE_HORIZON_MS = 1_000;
/** An isolate that has not asked for this long no longer counts as active. */
export const ACTIVE_ISOLATE_MS = 10_000;
/** Time constant of the isolate's request-rate estimate. */
export const RATE_TAU_MS = 1_000;

/** What the limiter object remembers about one key. Only `windowStart`/`granted` must be durable. */
export interface LimiterBook {
  /** Epoch ms at which the current window began. */
  windowStart: number;
  /** Tokens granted in that window, spent or not. */
  granted: number;
  /** Isolate id → when it last asked (ms): who shares the remaining budget. */
  seen: Record<string, number>;
}

/** An isolate's request for tokens. */
export interface LeaseAsk {
  /** A random id per isolate, stable for its lifetime. */
  isolate: string;
  /** Requests waiting in the isolate for a token right now (at least 1). */
  want: number;
  /** The isolate's observed request rate for this key, per second. */
  rate: number;
}

/** The object's answer. */
export interface LeaseGrant {
  /** Tokens the isolate may spend (0: the window's budget is gone). */
  tokens: number;
  limit: number;
  /** Budget the object has not granted yet in this window, after this grant. */
  remaining: number;
  /**
   * How long from the object's `now` the window still runs. The isolate counts it from
   * when it *sent* the ask, which is no later than the object's `now` in real time, so a
   * lease always dies before its window ends whatever the two clocks say.
   */
  validForMs: number;
}

export const emptyBook = (): LimiterBook => ({ windowStart: -1, granted: 0, seen: {} });

/** The start of the fixed window that holds `now`. */
export const windowStartOf = (now: number, windowMs: number): number => now - (now % windowMs);

/**
 * How many tokens to grant: what is waiting now, plus a prefetch sized to the isolate's
 * own rate over the lease horizon but never above its fair share of what is left
 * (remaining ÷ active isolates), so one busy isolate cannot strand a small limit. When
 * the budget left is small (no more than two tokens per active isolate) nothing is
 * prefetched: each isolate gets exactly what is waiting, and the last tokens go to the
 * requests that exist rather than to guesses.
 */
export function leaseSize(remaining: number, activeIsolates: number, want: number, rate: number, horizonMs: number): number {
  if (remaining <= 0) return 0;
  const waiting = Math.max(1, Math.floor(want));
  if (remaining <= 2 * activeIsolates) return Math.min(waiting, remaining);
  const fairShare = Math.floor(remaining / activeIsolates);
  const forHorizon = Math.ceil(Math.max(0, rate) * (horizonMs / 1000));
  return Math.min(remaining, Math.max(waiting, Math.min(fairShare, forHorizon)));
}

/**
 * The object's decision for one ask at `now`: rolls the window over when it has ended,
 * notes the isolate as active, and grants `leaseSize` tokens. Returns the new book; the
 * caller must make `windowStart`/`granted` durable before it replies (see `RateLimiter`).
 */
export function grantLease(
  book: LimiterBook,
  ask: LeaseAsk,
  limit: number,
  windowMs: number,
  now: number,
  horizonMs = LEASE_HORIZON_MS,
): { book: LimiterBook; grant: LeaseGrant } {
  const start = windowStartOf(now, windowMs);
  const seen: Record<string, number> = { [ask.isolate]: now };
  for (const [id, at] of Object.entries(book.seen)) {
    if (id !== ask.isolate && now - at < ACTIVE_ISOLATE_MS) seen[id] = at;
  }
  const granted = book.windowStart === start ? book.granted : 0;
  const remaining = Math.max(0, limit - granted);
  const horizon = Math.min(horizonMs, start + windowMs - now);
  const tokens = leaseSize(remaining, Object.keys(seen).length, ask.want, ask.rate, horizon);
  return {
    book: { windowStart: start, granted: granted + tokens, seen },
    grant: { tokens, limit, remaining: remaining - tokens, validForMs: start + windowMs - now },
  };
}

/** An exponentially decayed request rate (per second), updated on each arrival. */
export interface RateEstimate {
  perSecond: number;
  at: number;
}

export const noRate = (now: number): RateEstimate => ({ perSecond: 0, at: now });

/** Counts one arrival at `now` into the estimate. */
export function observeArrival(est: RateEstimate, now: number, tauMs = RATE_TAU_MS): RateEstimate {
  const decay = Math.exp(-Math.max(0, now - est.at) / tauMs);
  return { perSecond: est.perSecond * decay + 1000 / tauMs, at: Math.max(now, est.at) };
}
