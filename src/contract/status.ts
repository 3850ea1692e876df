/**
 * The job's status, stage and event vocabularies, and which statuses are still active.
 * Plain constants with no zod and no Cloudflare types, so the Worker, the SDK, the CLI
 * and the dashboard all read the same lists.
 */

export const JOB_STATUSES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses a job can still leave (and so be cancelled from); a project snapshot lists these. */
export const ACTIVE_STATUSES = ["QUEUED", "RUNNING"] as const satisfies readonly JobStatus[];
/** Statuses a job never leaves. */
export const TERMINAL_STATUSES = ["COMPLETED", "FAILED", "CANCELLED"] as const satisfies readonly JobStatus[];

/** True while the job can still change status. Takes any string: frames may carry statuses a caller does not know. */
export function isActive(status: string): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status);
}

/** True once the job can no longer change status. */
export function isTerminal(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

export const JOB_STAGES = ["PENDING", "EXTRACTING", "CHUNKING", "ANALYZING", "INDEXING", "DONE"] as const;
export type JobStage = (typeof JOB_STAGES)[number];

export const JOB_EVENT_TYPES = [
  "job.created",
  "job.started",
  "job.stage",
  "job.progress",
  "job.completed",
  "job.failed",
  "job.cancelled",
  "job.deleted",
] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

/** The events that move a job into a terminal status, one per terminal status. */
export const TERMINAL_EVENT_TYPES = ["job.completed", "job.failed", "job.cancelled"] as const satisfies readonly JobEventType[];
