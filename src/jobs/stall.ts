/**
 * Stalled jobs. A job advances only on its own alarm, so a job whose alarm is lost (a
 * deploy, a storage fault) and that nobody reads would stay active for good. Its project
 * hub notices the silence (src/events/stall-watch.ts) and nudges it; these are the rules
 * of a nudge. Pure: no storage, no Cloudflare types.
 */
import type { ErrorCode } from "../contract/error-code";
import type { JobError } from "../contract/job";

/**
 * The error code of a job failed for not moving. Retryable: nothing in the job's input
 * caused it, so a retry resumes from its last checkpoint.
 */
export const STALLED = "STALLED" satisfies ErrorCode;

/** What the hub tells a job it nudges. */
export interface Nudge {
  /** Nudges this job already had with no event from it since. */
  previous: number;
  /** How long the hub has heard nothing from the job (ms). */
  silentMs: number;
}

/**
 * What a nudge found: the job had `ended` (or no longer exists); is `waiting` for
 * someone else to start it (a QUEUED job with no work of its own); had its alarm
 * `armed` already; was `rearmed` (its alarm or its next slice had been lost); or was
 * failed `stalled` after too many nudges.
 */
export type NudgeOutcome = "ended" | "waiting" | "armed" | "rearmed" | "stalled";

/** After `maxAttempts` nudges that did not make the job log anything, the next one fails it. */
export function givesUp(nudge: Nudge, maxAttempts: number): boolean {
  return nudge.previous >= maxAttempts;
}

/** The error a stalled job fails with: what happened and what the user can do. */
export function stalledError(nudge: Nudge): Pick<JobError, "code" | "message"> {
  const minutes = Math.max(1, Math.round(nudge.silentMs / 60_000));
  return {
    code: STALLED,
    message: `The job stopped moving: no progress for ${minutes} min, and ${nudge.previous} attempts to resume it did not help. Retry it to resume from its last checkpoint, or create it again.`,
  };
}
