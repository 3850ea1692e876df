/**
 * What retention keeps and for how long (docs/retention.md). Pure: no storage, no
 * Cloudflare types. A finished job or batch is purged `days` after it finished (its
 * project's override, else `RETENTION_DAYS`); a deleted one `deletedGraceDays` after its
 * delete. The purger turns these rules into cut-offs; the object being purged checks
 * its own times against them, since its D1 row may lag behind it.
 */

export const DAY_MS = 86_400_000;

/** Days a project may keep its finished jobs: at least a day, at most a hundred years. */
export const MIN_RETENTION_DAYS = 1;
export const MAX_RETENTION_DAYS = 36_500;

/** What the purger asks an object: purge yourself if you finished, or were deleted, before these times (epoch ms). */
export interface PurgeRequest {
  /** Purge a finished, undeleted object that finished at or before this; null: not by age. */
  finishedBefore: number | null;
  /** Purge a deleted object deleted at or before this; null: not by deletion. */
  deletedBefore: number | null;
}

/**
 * What a purge found: the object is `purged` now; was already `gone` (purged before, its
 * row left behind); is `active` (never purged); or is `kept` (it changed since its row
 * was written: a retry, a later end).
 */
export type PurgeOutcome = "purged" | "gone" | "active" | "kept";

/** The times a finished or deleted object is judged by (ISO strings, as the objects keep them). */
export interface Ending {
  completedAt: string | null;
  deletedAt: string | null;
}

/** Whether `ended` is due under `request`. The object calls it with its own times. */
export function isDue(ended: Ending, request: PurgeRequest): boolean {
  if (ended.deletedAt) return request.deletedBefore !== null && Date.parse(ended.deletedAt) <= request.deletedBefore;
  return ended.completedAt !== null && request.finishedBefore !== null && Date.parse(ended.completedAt) <= request.finishedBefore;
}

/** The newest finish time a project keeping `days` purges as of `now`. */
export function finishedCutoff(now: number, days: number): number {
  return now - Math.round(days * DAY_MS);
}
