/**
 * Runs one bounded slice of a job's pipeline (DESIGN §1): picks the stage's module
 * (`stages/`), hands it the checkpoint, and turns anything it throws into a `failed`
 * outcome. Also removes what an unfinished or deleted job left behind.
 */
import { isRetryableCode } from "../contract/error-code";
import { loadConfig } from "../config";
import type { Env } from "../env";
import { deleteDocumentOutputs } from "../documents/document-store";
import { abortUpload } from "../documents/object-upload";
import { PipelineError } from "../pipeline/errors";
import { chunkTableKey, sourceKey, textKey } from "../storage-keys";
import { isActive } from "../contract/status";
import type { Job } from "./lifecycle";
import { checkpointFor } from "./checkpoint";
import { PipelineStore } from "./pipeline-store";
import { analyze } from "./stages/analyze";
import { chunk } from "./stages/chunk";
import { extractPdf } from "./stages/extract-pdf";
import { extractText } from "./stages/extract-text";
import { indexDocument } from "./stages/index-document";
import { kindOf, type SliceOutcome, type StageContext } from "./stages/stage";
import { TextDigest } from "./text-digest";
import { TextParts } from "./text-parts";

export type { SliceOutcome } from "./stages/stage";

/** Longest error message kept in a job's `errors[]`. */
const MAX_ERROR_MESSAGE = 300;

export class PipelineRunner {
  private readonly store: PipelineStore;
  private readonly ctx: StageContext;

  /** `d1` is the job's project database (metered by the object). */
  constructor(storage: DurableObjectStorage, env: Env, d1: () => D1Database) {
    this.store = new PipelineStore(storage);
    const store = this.store;
    this.ctx = {
      env,
      get d1() {
        return d1();
      },
      store,
      digest: new TextDigest(store),
      parts: new TextParts(store),
      pdf: null,
      limits: loadConfig(env).limits,
      work: { bytes: 0 },
    };
  }

  /** Bytes the slices since the last call decoded or read (see `AlarmWorkBudget`). */
  takeWorkBytes(): number {
    const bytes = this.ctx.work.bytes;
    this.ctx.work.bytes = 0;
    return bytes;
  }

  /** Runs the next slice of `job`'s current stage. Never throws: failures are outcomes. */
  async runSlice(job: Job): Promise<SliceOutcome> {
    const cp = checkpointFor(job.stage, this.store.checkpoint(), () => crypto.randomUUID());
    if (!cp) return { kind: "failed", code: "INVALID_STATE", message: `No checkpoint leads to stage ${job.stage}`, permanent: true };
    try {
      switch (cp.stage) {
        case "EXTRACTING":
          return kindOf(job.mimeType) === "pdf" ? await extractPdf(job, cp, this.ctx) : await extractText(job, cp, this.ctx);
        case "CHUNKING":
          return await chunk(job, cp, this.ctx);
        case "ANALYZING":
          return await analyze(job, cp, this.ctx);
        case "INDEXING":
          return await indexDocument(job, cp, this.ctx);
      }
    } catch (err) {
      if (err instanceof PipelineError) return { kind: "failed", code: err.code, message: err.message, permanent: err.permanent };
      // Storage errors can carry whole statements; the job keeps the first line, bounded.
      const message = ((err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "").slice(0, MAX_ERROR_MESSAGE);
      return { kind: "failed", code: "TRANSIENT", message, permanent: false };
    }
  }

  /**
   * Removes a finished job's working rows, and everything an unfinished job wrote
   * outside the object: unfinished uploads, the text and chunk table, and the document
   * row only if the last slice may have inserted it (its chunk table was complete). The
   * source goes with a deleted job, and with a completed one (its document is built)
   * unless `keepSource`; a failed job keeps it, so a retry can read it again. A job that
   * failed in a way a retry may mend keeps its checkpoint and working data too, until it
   * is deleted.
   */
  async cleanUp(job: Job, keepSource: boolean): Promise<void> {
    // A failure that a retry may mend keeps its checkpoint and what it wrote, to resume from.
    if (resumable(job)) return;
    const cp = this.store.checkpoint();
    if (cp && job.status !== "COMPLETED") {
      const bucket = this.ctx.env.BUCKET;
      const indexing = cp.stage === "INDEXING" ? cp : null;
      await abortUpload(bucket, textKey(job.projectId, cp.documentId), indexing?.textUpload ?? cp.textParts);
      await abortUpload(bucket, chunkTableKey(job.projectId, cp.documentId), indexing?.tableUpload);
      if (indexing?.tableUpload?.complete) await deleteDocumentOutputs(bucket, this.ctx.d1, job.projectId, cp.documentId);
      else await bucket.delete([textKey(job.projectId, cp.documentId), chunkTableKey(job.projectId, cp.documentId)]);
    }
    if (job.deletedAt || (job.status === "COMPLETED" && !keepSource)) await this.ctx.env.BUCKET.delete(sourceKey(job));
    if (!isActive(job.status)) {
      this.store.clear();
      this.ctx.pdf = null;
    }
  }
}

/** A FAILED job, not deleted, whose failure a retry may mend (see `ERROR_CODES`). */
function resumable(job: Job): boolean {
  return job.status === "FAILED" && !job.deletedAt && isRetryableCode(job.errors.at(-1)?.code ?? "");
}
