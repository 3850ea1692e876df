/**
 * How long to wait before a retry, for the whole service: the Durable Objects' timers,
 * the SDK's HTTP retries and live reconnects, the dashboard's reconnects and webhook
 * deliveries. Pure and free of Worker imports, so the SDK and dashboard bundles use it too.
 */

/** Exponential backoff: `initialMs · 2^retry`, at most `maxMs`, optionally jittered. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
  /**
   * `full`: anywhere in [0, delay]; `equal`: in [delay/2, delay] (AWS Architecture Blog,
   * "Exponential Backoff And Jitter"). Jitter spreads the retries of many clients that
   * failed together; server-side timers of one object need none.
   */
  jitter?: "none" | "full" | "equal";
}

/**
 * The wait before retry number `retry` (0 for the first retry after one failure).
 * `random` is injectable so callers can test jitter bounds.
 */
export function backoffDelay(policy: Backoff, retry: number, random: () => number = Math.random): number {
  const delay = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, retry));
  switch (policy.jitter ?? "none") {
    case "none":
      return delay;
    case "full":
      return Math.round(random() * delay);
    case "equal":
      return Math.round(delay / 2 + random() * (delay / 2));
  }
}

/**
 * A retry schedule given as a list of waits (the webhooks' "5 s, 1 min, 10 min, 1 h,
 * 6 h"): the wait before retry number `retry`, or null once the list is used up.
 */
export function listedDelay(delaysMs: readonly number[], retry: number): number | null {
  return delaysMs[retry] ?? null;
}
