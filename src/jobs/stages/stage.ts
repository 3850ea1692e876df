/**
 * What every pipeline stage shares: the outcome a slice returns to the object, and the
 * context a stage works in. A stage reads its checkpoint, does a bounded amount of
 * work, and returns an outcome whose `persist` stages the checkpoint and its rows; the
 * object runs `persist` only if the job is still running, in the same synchronous block
 * as the job commit, so a cancelled slice commits nothing and a replayed one rewrites
 * the same rows (every write is keyed by position: segment seq, heading offset, ordinal).
 */
import type { Env } from "../../env";
import type { PdfDocument } from "../../pipeline/extract/pdf";
import type { DocumentLimits } from "../../pipeline/limits";
import type { TextKind } from "../../pipeline/extract";
import type { Job, JobCounters, JobError } from "../lifecycle";
import type { Checkpoint } from "../checkpoint";
import type { PipelineStore } from "../pipeline-store";
import type { TextDigest } from "../text-digest";
import type { TextParts } from "../text-parts";

type Persist = () => void;
/** Something a slice could not do and went on without (a damaged PDF page); it lands in the job's `errors[]`. */
type Skipped = Omit<JobError, "at" | "stage">;

/**
 * One slice's result. `discard`, when given, undoes what the slice did outside the
 * object (an R2 upload it started) if the object drops the outcome (a cancel won).
 */
export type SliceOutcome =
  | { kind: "progress"; fraction: number; counters: Partial<JobCounters>; persist: Persist; discard?: () => Promise<void>; skipped?: Skipped[] }
  | { kind: "stage-done"; counters: Partial<JobCounters>; persist: Persist; discard?: () => Promise<void>; skipped?: Skipped[] }
  | { kind: "completed"; documentId: string; counters: Partial<JobCounters>; persist: Persist }
  | { kind: "failed"; code: string; message: string; permanent: boolean };

/** What a stage may use: bindings, the project's (metered) D1, working storage, caches. */
export interface StageContext {
  env: Env;
  /** The project's D1 database, through `projectDb`, counted by the object. */
  d1: D1Database;
  store: PipelineStore;
  digest: TextDigest;
  /** Text written through: its R2 upload's parts and the tail not yet in one. */
  parts: TextParts;
  /** The open PDF of this job, kept across slices while the object stays in memory. */
  pdf: { jobId: string; doc: PdfDocument } | null;
  /** Pages, characters, chunks and decoded bytes a document may reach (config). */
  limits: DocumentLimits;
  /** Bytes the slices decoded or read since the object last asked (`AlarmWorkBudget`). */
  work: { bytes: number };
}

/** One stage's slice: reads its own variant of the checkpoint. */
export type Stage<C extends Checkpoint> = (job: Job, cp: C, ctx: StageContext) => Promise<SliceOutcome>;

export function kindOf(mimeType: string): TextKind | "pdf" {
  if (mimeType === "application/pdf") return "pdf";
  if (mimeType === "text/markdown") return "markdown";
  if (mimeType === "text/html") return "html";
  return "text";
}
