/**
 * Text written through (EXTRACTING of a text source): each slice's text is chunked while
 * it is in memory and sent to the document text's R2 upload as whole parts fill
 * (`text-parts.ts`), so no stage reads the text back from the object's SQLite. The
 * chunker's undecided rest (at most a chunk's lookahead) waits in the checkpoint.
 */
import { newUpload } from "../../documents/object-upload";
import { planChunks } from "../../pipeline/chunker";
import { checkLimits, ROW_WORK_BYTES } from "../../pipeline/limits";
import { textKey } from "../../storage-keys";
import type { ChunkingAsExtracted, ExtractingCheckpoint } from "../checkpoint";
import type { Job } from "../lifecycle";
import { chunkRecords } from "./chunk";
import type { SliceOutcome, StageContext } from "./stage";

/**
 * Whether this extraction writes its text through: one already doing so, or a fresh one
 * whose later stages need no segments (a deep scan's ANALYZING reads them).
 */
export function writesThrough(job: Job, cp: ExtractingCheckpoint): boolean {
  if (cp.textParts) return true;
  return !job.isDeepScan && cp.sourceOffset === 0 && cp.chars === 0 && cp.segments === 0;
}

export interface WrittenSlice {
  job: Job;
  cp: ExtractingCheckpoint;
  /** The checkpoint after the slice, its text totals already advanced. */
  next: ExtractingCheckpoint;
  /** The slice's text and its UTF-8. */
  text: string;
  utf8: Uint8Array;
  /** Heading offsets (absolute) the slice found, spaced as stored. */
  headings: number[];
  isLast: boolean;
  ctx: StageContext;
}

export async function writeThrough({ job, cp, next, text, utf8, headings, isLast, ctx }: WrittenSlice): Promise<SliceOutcome> {
  const opts = { size: job.options.chunkSize, overlap: job.options.chunkOverlap };
  const was: ChunkingAsExtracted = cp.chunking ?? { cursor: { ordinal: 0, start: 0 }, carry: "", carryByteStart: 0, carryHeadings: [] };
  const window = was.carry + text;
  const windowStart = was.cursor.start;
  const allHeadings = was.carryHeadings.concat(headings);
  const plan = planChunks(window, windowStart, isLast, was.cursor, allHeadings, opts);
  checkLimits(ctx.limits, { chunks: plan.cursor.ordinal });
  ctx.work.bytes += plan.chunks.length * ROW_WORK_BYTES;
  const { records, byteAt } = await chunkRecords(window, windowStart, was.carryByteStart, plan.chunks, () => null, [plan.cursor.start]);
  next.chunking = {
    cursor: plan.cursor,
    carry: window.slice(plan.cursor.start - windowStart),
    carryByteStart: byteAt(plan.cursor.start),
    carryHeadings: allHeadings.filter((h) => h >= plan.cursor.start),
  };
  const digest = ctx.digest.appendWritten(cp, utf8, next.textBytes, isLast);
  next.contentHash = digest.hash;
  next.hashFromText = digest.lost;
  const before = cp.textParts ?? newUpload();
  const tail = ctx.parts.tail(cp.documentId, before, cp.textBytes);
  const written = await ctx.parts.write(ctx.env.BUCKET, textKey(job.projectId, cp.documentId), before, tail, utf8, isLast);
  next.textParts = written.upload;
  const first = plan.chunks[0]?.ordinal;
  const counters = { bytesRead: next.sourceOffset, charactersExtracted: next.chars, chunksCreated: plan.cursor.ordinal };
  const persist = () => {
    ctx.parts.commit(cp.documentId, written, cp.textBytes);
    if (first !== undefined) ctx.store.putChunkBlock(first, records);
    ctx.store.saveCheckpoint(next);
  };
  const discard = written.discard;
  return isLast
    ? { kind: "stage-done", counters, persist, discard }
    : { kind: "progress", fraction: next.sourceOffset / job.byteSize, counters, persist, discard };
}
