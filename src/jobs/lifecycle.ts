/**
 * The ingest job lifecycle: which transitions are allowed, what progress a stage is
 * worth and which event each transition emits. Pure: no storage, no Cloudflare types.
 * The IngestJob Durable Object loads a job, calls one of these, and persists the result.
 */

import type { Job, JobCounters, JobError } from "../contract/job";
import { isRetryableCode } from "../contract/error-code";
import { isActive, type JobEventType, type JobStage, type JobStatus } from "../contract/status";

export type { Job, JobCounters, JobError, JobOptions } from "../contract/job";
export type { JobEventType, JobStage, JobStatus } from "../contract/status";

/** What a caller supplies to create a job (the upload is already stored); the rest of `Job` is the lifecycle's. */
export type JobInit = Pick<
  Job,
  | "id"
  | "projectId"
  | "sourceId"
  | "originalFilename"
  | "sourcePath"
  | "byteSize"
  | "mimeType"
  | "isDeepScan"
  | "options"
  | "fingerprint"
  | "createdBy"
  | "batchId"
  | "sourceUrl"
>;

/** A committed change: the job after it and the event that describes it. */
export interface Transition {
  job: Job;
  event: JobEventType;
}

/**
 * Why a command was refused: the job's status does not allow it, its failure cannot be
 * retried (`code`: the failure's code), or it is deleted.
 */
export type Refusal =
  | { ok: false; reason: "not_cancellable" | "not_deletable" | "not_queued" | "not_running" | "not_failed"; status: JobStatus }
  | { ok: false; reason: "not_retryable"; code: string }
  | { ok: false; reason: "already_deleted" };

/** What every lifecycle command returns: the transition, or why it was refused. */
export type Result<T, E> = ({ ok: true } & T) | E;
export type TransitionResult = Result<Transition, Refusal>;

/** The stages a job passes through, in order; ANALYZING only for a deep scan. */
export function stagesFor(isDeepScan: boolean): JobStage[] {
  return isDeepScan ? ["EXTRACTING", "CHUNKING", "ANALYZING", "INDEXING"] : ["EXTRACTING", "CHUNKING", "INDEXING"];
}

/** Share of overall progress each working stage is worth (they sum to 1). */
const STAGE_WEIGHTS: Record<"plain" | "deep", Partial<Record<JobStage, number>>> = {
  plain: { EXTRACTING: 0.5, CHUNKING: 0.3, INDEXING: 0.2 },
  deep: { EXTRACTING: 0.45, CHUNKING: 0.25, ANALYZING: 0.1, INDEXING: 0.2 },
};

/** Overall progress (0..1) for `fraction` (0..1) of `stage` done. */
export function overallProgress(stage: JobStage, fraction: number, isDeepScan: boolean): number {
  if (stage === "PENDING") return 0;
  if (stage === "DONE") return 1;
  const weights = STAGE_WEIGHTS[isDeepScan ? "deep" : "plain"];
  let before = 0;
  for (const s of stagesFor(isDeepScan)) {
    if (s === stage) break;
    before += weights[s] ?? 0;
  }
  const clamped = Math.min(1, Math.max(0, fraction));
  return round4(before + (weights[stage] ?? 0) * clamped);
}

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

/** The stage after `stage` for this job, or DONE after the last one. */
export function nextStage(stage: JobStage, isDeepScan: boolean): JobStage {
  const order = stagesFor(isDeepScan);
  const i = stage === "PENDING" ? -1 : order.indexOf(stage);
  if (stage !== "PENDING" && i < 0) return "DONE";
  return order[i + 1] ?? "DONE";
}

export function emptyCounters(): JobCounters {
  return {
    bytesRead: 0,
    pagesExtracted: 0,
    charactersExtracted: 0,
    charactersDropped: 0,
    chunksCreated: 0,
    chunksIndexed: 0,
    duplicatesFound: 0,
  };
}

/** A new QUEUED job. */
export function createJob(init: JobInit, now: Date): { ok: true } & Transition {
  const at = now.toISOString();
  return {
    ok: true,
    event: "job.created",
    job: {
      ...init,
      batchId: init.batchId ?? null,
      sourceUrl: init.sourceUrl ?? null,
      status: "QUEUED",
      stage: "PENDING",
      progress: 0,
      counters: emptyCounters(),
      attempts: 0,
      errorMessage: null,
      errors: [],
      canonicalDocumentId: null,
      createdAt: at,
      updatedAt: at,
      startedAt: null,
      completedAt: null,
      deletedAt: null,
    },
  };
}

/** QUEUED → RUNNING, entering the first stage. */
export function startJob(job: Job, now: Date): TransitionResult {
  if (job.status !== "QUEUED") return { ok: false, reason: "not_queued", status: job.status };
  const at = now.toISOString();
  return {
    ok: true,
    event: "job.started",
    job: {
      ...job,
      status: "RUNNING",
      stage: nextStage("PENDING", job.isDeepScan),
      attempts: 1,
      startedAt: at,
      updatedAt: at,
    },
  };
}

/** Moves a running job to its next stage. */
export function advanceStage(job: Job, now: Date): TransitionResult {
  if (job.status !== "RUNNING") return notRunning(job);
  const stage = nextStage(job.stage, job.isDeepScan);
  return {
    ok: true,
    event: "job.stage",
    job: {
      ...job,
      stage,
      progress: Math.max(job.progress, overallProgress(stage, 0, job.isDeepScan)),
      updatedAt: now.toISOString(),
    },
  };
}

/**
 * Records progress inside the current stage. Progress never decreases and counters
 * never shrink, so a replayed slice cannot move a job backwards. `skipped` lists what
 * the slice could not do and went on without (a PDF page pdf.js could not read): it is
 * added to `errors[]`, and the job keeps running.
 */
export function recordProgress(
  job: Job,
  fraction: number,
  counters: Partial<JobCounters>,
  now: Date,
  skipped: readonly Omit<JobError, "at" | "stage">[] = [],
): TransitionResult {
  if (job.status !== "RUNNING") return notRunning(job);
  const merged = { ...job.counters };
  for (const [k, v] of Object.entries(counters) as [keyof JobCounters, number][]) {
    merged[k] = Math.max(merged[k] ?? 0, v);
  }
  const at = now.toISOString();
  return {
    ok: true,
    event: "job.progress",
    job: {
      ...job,
      counters: merged,
      errors: skipped.length ? [...job.errors, ...skipped.map((e) => ({ at, stage: job.stage, ...e }))] : job.errors,
      progress: Math.max(job.progress, overallProgress(job.stage, fraction, job.isDeepScan)),
      updatedAt: now.toISOString(),
    },
  };
}

/** RUNNING → COMPLETED with its canonical document. */
export function completeJob(job: Job, documentId: string, now: Date): TransitionResult {
  if (job.status !== "RUNNING") return notRunning(job);
  const at = now.toISOString();
  return {
    ok: true,
    event: "job.completed",
    job: {
      ...job,
      status: "COMPLETED",
      stage: "DONE",
      progress: 1,
      canonicalDocumentId: documentId,
      completedAt: at,
      updatedAt: at,
    },
  };
}

/**
 * Records one failed try of the current slice; the job keeps running. Its event is a
 * `job.progress` (the object does not log it: `errors[]` is in the job itself).
 */
export function recordAttemptFailure(job: Job, error: Omit<JobError, "at" | "stage">, now: Date): TransitionResult {
  if (job.status !== "RUNNING") return notRunning(job);
  const at = now.toISOString();
  const errors = [...job.errors, { at, stage: job.stage, ...error }];
  return { ok: true, event: "job.progress", job: { ...job, attempts: job.attempts + 1, errors, updatedAt: at } };
}

/** QUEUED | RUNNING → FAILED, keeping the stage it failed in. */
export function failJob(job: Job, error: Omit<JobError, "at" | "stage">, now: Date): TransitionResult {
  if (!isActive(job.status)) return notRunning(job);
  const at = now.toISOString();
  return {
    ok: true,
    event: "job.failed",
    job: {
      ...job,
      status: "FAILED",
      errorMessage: error.message,
      errors: [...job.errors, { at, stage: job.stage, ...error }],
      completedAt: at,
      updatedAt: at,
    },
  };
}

/** QUEUED | RUNNING → CANCELLED, keeping the stage it was in (the JobCancelled event). */
export function cancelJob(job: Job, now: Date): TransitionResult {
  if (job.deletedAt) return { ok: false, reason: "already_deleted" };
  if (!isActive(job.status)) return { ok: false, reason: "not_cancellable", status: job.status };
  const at = now.toISOString();
  return {
    ok: true,
    event: "job.cancelled",
    job: { ...job, status: "CANCELLED", completedAt: at, updatedAt: at },
  };
}

/**
 * FAILED → RUNNING in the stage it failed in, when its failure can be retried (the
 * code's entry in `ERROR_CODES`): the job resumes from its last checkpoint with its
 * stage's tries counted afresh. Its `errors` keep the history.
 */
export function retryJob(job: Job, now: Date): TransitionResult {
  if (job.deletedAt) return { ok: false, reason: "already_deleted" };
  if (job.status !== "FAILED") return { ok: false, reason: "not_failed", status: job.status };
  const code = job.errors.at(-1)?.code ?? "";
  if (!isRetryableCode(code)) return { ok: false, reason: "not_retryable", code };
  const at = now.toISOString();
  return {
    ok: true,
    event: "job.retried",
    job: { ...job, status: "RUNNING", attempts: 1, errorMessage: null, completedAt: null, updatedAt: at },
  };
}

/** Soft delete: only a finished job; orthogonal to status. */
export function deleteJob(job: Job, now: Date): TransitionResult {
  if (job.deletedAt) return { ok: false, reason: "already_deleted" };
  if (isActive(job.status)) return { ok: false, reason: "not_deletable", status: job.status };
  const at = now.toISOString();
  return { ok: true, event: "job.deleted", job: { ...job, deletedAt: at, updatedAt: at } };
}

function notRunning(job: Job): Refusal {
  return { ok: false, reason: "not_running", status: job.status };
}
