/**
 * INDEXING: the text to R2, then the chunk table next to it, each a multipart upload
 * written one part per slice; the D1 document row last, so a document is visible only
 * once everything it points at exists. Nothing per chunk reaches D1.
 */
import { toHex } from "../../bytes";
import { CHUNK_RECORD_BYTES } from "../../documents/chunk-table";
import { insertDocument } from "../../documents/document-store";
import { abortUpload, newUpload, writeNextPart, type ObjectUpload } from "../../documents/object-upload";
import { PipelineError } from "../../pipeline/errors";
import { chunkTableKey, textKey } from "../../storage-keys";
import type { JobCounters } from "../lifecycle";
import type { IndexingCheckpoint } from "../checkpoint";
import type { PipelineStore } from "../pipeline-store";
import type { SliceOutcome, Stage } from "./stage";

/** Share of the stage's progress the text is worth (the chunk table is the rest). */
const TEXT_SHARE = 0.9;

export const indexDocument: Stage<IndexingCheckpoint> = async (job, cp, ctx) => {
  const bucket = ctx.env.BUCKET;
  const total = ctx.store.chunkCount();
  const tableBytes = total * CHUNK_RECORD_BYTES;
  if (!cp.textUpload?.complete) {
    const key = textKey(job.projectId, cp.documentId);
    const before = cp.textUpload ?? newUpload();
    const after = await writeNextPart(bucket, key, cp.textBytes, before, (s, e) => ctx.store.textBytes(s, e), "text/plain; charset=utf-8");
    const next: IndexingCheckpoint = { ...cp, textUpload: after };
    return uploadStep(next, TEXT_SHARE * (cp.textBytes ? after.written / cp.textBytes : 1), {}, () => abandon(bucket, key, before, after), ctx.store);
  }
  if (!cp.tableUpload?.complete) {
    const key = chunkTableKey(job.projectId, cp.documentId);
    const before = cp.tableUpload ?? newUpload();
    const after = await writeNextPart(bucket, key, tableBytes, before, (s, e) => ctx.store.chunkTableBytes(s, e), "application/octet-stream");
    const next: IndexingCheckpoint = { ...cp, tableUpload: after };
    const fraction = TEXT_SHARE + (1 - TEXT_SHARE) * (tableBytes ? after.written / tableBytes : 1);
    const counters = { chunksIndexed: Math.floor(after.written / CHUNK_RECORD_BYTES) };
    return uploadStep(next, fraction, counters, () => abandon(bucket, key, before, after), ctx.store);
  }
  if (cp.contentHash === null) {
    // Text written through whose running hash was lost with the object's memory.
    const next: IndexingCheckpoint = { ...cp, contentHash: await hashStoredText(bucket, textKey(job.projectId, cp.documentId)) };
    return uploadStep(next, 1, {}, async () => undefined, ctx.store);
  }
  await insertDocument(ctx.d1, {
    id: cp.documentId,
    projectId: job.projectId,
    jobId: job.id,
    title: cp.title ?? job.originalFilename,
    mimeType: job.mimeType,
    pageCount: cp.pdfPages,
    characterCount: cp.chars,
    chunkCount: total,
    contentHash: cp.contentHash,
    simhash: cp.analysis?.simhash ?? null,
    language: cp.analysis?.language ?? null,
    duplicateOf: cp.analysis?.duplicateOf ?? null,
    textKey: textKey(job.projectId, cp.documentId),
    createdAt: Date.now(),
    sourceUrl: job.sourceUrl ?? null,
  });
  return {
    kind: "completed",
    documentId: cp.documentId,
    counters: { chunksIndexed: total },
    persist: () => {
      ctx.store.saveCheckpoint(cp);
      ctx.store.clear();
    },
  };
};

function uploadStep(
  next: IndexingCheckpoint,
  fraction: number,
  counters: Partial<JobCounters>,
  discard: () => Promise<void>,
  store: PipelineStore,
): SliceOutcome {
  return { kind: "progress", fraction, counters, persist: () => store.saveCheckpoint(next), discard };
}

/** SHA-256 (hex) of the finished text object, streamed through the runtime's native digest. */
async function hashStoredText(bucket: R2Bucket, key: string): Promise<string> {
  const obj = await bucket.get(key);
  if (!obj) throw new PipelineError("TRANSIENT", "The document text could not be read back from storage to hash it", false);
  const digest = new crypto.DigestStream("SHA-256");
  await obj.body.pipeTo(digest);
  return toHex(await digest.digest);
}

/** A dropped step started an upload the checkpoint will never know about: abort it. */
async function abandon(bucket: R2Bucket, key: string, before: ObjectUpload, after: ObjectUpload): Promise<void> {
  if (after.uploadId && after.uploadId !== before.uploadId) await abortUpload(bucket, key, after);
}
