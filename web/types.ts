/**
 * The API shapes the dashboard reads (DESIGN §4, §5). Written to match `/openapi.json`
 * (`src/routes/schemas.ts`); when the generated SDK types land in `src/client`, these
 * become re-exports of them.
 */
export const JOB_STATUSES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"] as const;
export const JOB_STAGES = ["PENDING", "EXTRACTING", "CHUNKING", "ANALYZING", "INDEXING", "DONE"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export type JobStage = (typeof JOB_STAGES)[number];

export const TERMINAL: readonly JobStatus[] = ["COMPLETED", "FAILED", "CANCELLED"];

export interface JobError {
  at: string;
  stage: JobStage;
  code: string;
  message: string;
}

export interface Job {
  id: string;
  projectId: string;
  sourceId: string | null;
  originalFilename: string;
  sourcePath: string;
  byteSize: number;
  mimeType: string;
  isDeepScan: boolean;
  status: JobStatus;
  stage: JobStage;
  progress: number;
  counters: Record<string, number>;
  attempts: number;
  errorMessage: string | null;
  errors: JobError[];
  canonicalDocumentId: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  completedAt: string | null;
  deletedAt?: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  total?: number;
}

/** What every job frame carries about its job. */
export interface JobFrameJob {
  id: string;
  status: JobStatus;
  stage: JobStage;
  progress: number;
  counters: Record<string, number>;
}

/** One event frame (DESIGN §5); `projectSeq` only on the project stream. */
export interface JobFrame {
  type: string;
  seq: number;
  jobId: string;
  projectId: string;
  at: string;
  job: JobFrameJob;
  projectSeq?: number;
}

/** The project stream's first frame: its position and a summary of each unfinished job. */
export interface ProjectSnapshot {
  type: "project.snapshot";
  projectSeq: number;
  jobs: (JobFrameJob & { updatedAt?: string })[];
}

export interface JobSnapshot {
  type: "job.snapshot";
  seq: number;
  job: Job;
}

/** A document and one of its chunks, as the API returns them: the SDK's types, generated from `/openapi.json`. */
export type { Chunk, Document as DocumentInfo } from "../src/client/types";

export interface JobFilters {
  status?: JobStatus;
  stage?: JobStage;
  sourceId?: string;
  /** Only the items of this batch. */
  batchId?: string;
}

export const BATCH_ITEM_STATUSES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "SKIPPED"] as const;
export type BatchItemStatus = (typeof BATCH_ITEM_STATUSES)[number];

export interface BatchCounts {
  total: number;
  queued: number;
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
  skipped: number;
}

/** A batch (DESIGN §13). */
export interface Batch {
  id: string;
  projectId: string;
  kind: "upload" | "urls" | "arxiv";
  status: JobStatus;
  open: boolean;
  counts: BatchCounts;
  errors: { at: string; stage: string; code: string; message: string; item: string }[];
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

export interface BatchItem {
  id: string;
  status: BatchItemStatus;
  source: string;
  jobId: string | null;
  job: { status: JobStatus; stage: JobStage; progress: number } | null;
  error: { code: string; message: string } | null;
  retryOf: string | null;
}
