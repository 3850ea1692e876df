/**
 * The ingest job lifecycle: which transitions are allowed, what progress a stage is
 * worth and which event each transition emits. Pure: no storage, no Cloudflare types.
 * The IngestJob Durable Object loads a job, calls one of these, and persists the result.
 */

export const JOB_STATUSES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

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

/** What the pipeline has done so far; all counters only grow. */
export interface JobCounters {
  bytesRead: number;
  pagesExtracted: number;
  charactersExtracted: number;
  chunksCreated: number;
  chunksIndexed: number;
  duplicatesFound: number;
}

/** One failed try of a stage slice, as `errors[]` reports it. */
export interface JobError {
  at: string;
  stage: JobStage;
  code: string;
  message: string;
}

/** Chunking parameters fixed at create time. */
export interface JobOptions {
  chunkSize: number;
  chunkOverlap: number;
}

/** What a caller supplies to create a job (the upload is already stored). */
export interface JobInit {
  id: string;
  projectId: string;
  sourceId: string | null;
  originalFilename: string;
  sourcePath: string;
  byteSize: number;
  mimeType: string;
  isDeepScan: boolean;
  options: JobOptions;
  createdBy: string;
  /** The batch the job is an item of (DESIGN §13), or null. */
  batchId?: string | null;
  /** The source's URL, for a job made from a remote source (DESIGN §15). */
  sourceUrl?: string | null;
}

/** The full job, exactly as the API returns it. */
export interface Job extends JobInit {
  status: JobStatus;
  stage: JobStage;
  progress: number;
  counters: JobCounters;
  attempts: number;
  errorMessage: string | null;
  errors: JobError[];
  canonicalDocumentId: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  completedAt: string | null;
  deletedAt: string | null;
}

/** A committed change: the job after it and the event that describes it. */
export interface Transition {
  job: Job;
  event: JobEventType;
}

/** Why a command was refused: the job's status does not allow it, or it is deleted. */
export type Refusal =
  | { ok: false; reason: "not_cancellable" | "not_deletable" | "not_queued" | "not_running"; status: JobStatus }
  | { ok: false; reason: "already_deleted" };

/** What every lifecycle command returns: the transition, or why it was refused. */
export type Result<T, E> = ({ ok: true } & T) | E;
export type TransitionResult = Result<Transition, Refusal>;

const ACTIVE: ReadonlySet<JobStatus> = new Set(["QUEUED", "RUNNING"]);

/** True while the job can still change status (and so be cancelled). */
export function isActive(status: JobStatus): boolean {
  return ACTIVE.has(status);
}

/** True once the job can no longer change status. */
export function isTerminal(status: JobStatus): boolean {
  return !ACTIVE.has(status);
}

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
 * never shrink, so a replayed slice cannot move a job backwards.
 */
export function recordProgress(job: Job, fraction: number, counters: Partial<JobCounters>, now: Date): TransitionResult {
  if (job.status !== "RUNNING") return notRunning(job);
  const merged = { ...job.counters };
  for (const [k, v] of Object.entries(counters) as [keyof JobCounters, number][]) {
    merged[k] = Math.max(merged[k], v);
  }
  return {
    ok: true,
    event: "job.progress",
    job: {
      ...job,
      counters: merged,
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
  return {
    ok: true,
    event: "job.progress",
    job: {
      ...job,
      attempts: job.attempts + 1,
      errors: [...job.errors, { at, stage: job.stage, ...error }],
      updatedAt: at,
    },
  };
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
