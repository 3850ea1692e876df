/**
 * What happens after one delivery attempt (DESIGN §9). Pure: an outcome and the
 * attempt count in, the delivery's next state out. Retries follow the configured list of
 * waits (DESIGN §9), not a formula, through the service's one backoff module.
 */
import { listedDelay } from "../backoff";

/** DESIGN §9: about 5 s, 1 min, 10 min, 1 h, 6 h between tries, then the delivery fails. */
export const DEFAULT_RETRY_DELAYS_MS = [5_000, 60_000, 600_000, 3_600_000, 21_600_000] as const;
/** DESIGN §9: any 2xx within 10 s is a success. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** What one attempt came back with. */
export type AttemptOutcome = { kind: "response"; status: number } | { kind: "timeout" } | { kind: "network"; message: string };

export type DeliveryState =
  | { status: "succeeded"; nextAttemptAt: null }
  | { status: "failed"; nextAttemptAt: null }
  | { status: "pending"; nextAttemptAt: number };

export function isSuccess(o: AttemptOutcome): boolean {
  return o.kind === "response" && o.status >= 200 && o.status <= 299;
}

/** The log's words for an attempt that did not succeed, or null when it did. */
export function describeFailure(o: AttemptOutcome, timeoutMs: number): string | null {
  switch (o.kind) {
    case "response":
      return isSuccess(o) ? null : `receiver answered HTTP ${o.status}`;
    case "timeout":
      return `no response within ${timeoutMs / 1000} s`;
    case "network":
      return `request failed: ${o.message}`.slice(0, 300);
  }
}

/**
 * The state after the `tries`-th attempt of this round (1 = the first try, or the
 * first try after a redelivery): pending again after the matching delay, or final.
 */
export function afterAttempt(o: AttemptOutcome, tries: number, now: number, delays: readonly number[]): DeliveryState {
  if (isSuccess(o)) return { status: "succeeded", nextAttemptAt: null };
  const delay = listedDelay(delays, tries - 1);
  if (delay === null) return { status: "failed", nextAttemptAt: null };
  return { status: "pending", nextAttemptAt: now + delay };
}

/** Whether a subscription's `events` filter selects this event type. */
export function subscribes(events: readonly string[], type: string): boolean {
  return events.includes("*") || events.includes(type);
}
