/** CHUNKING: plans the chunks of the next window of text; a window's decisions are final. */
import { chunkLookahead, planChunks, type PlannedChunk } from "../../pipeline/chunker";
import { checkLimits, CHUNK_WINDOW_CHARS, ROW_WORK_BYTES } from "../../pipeline/limits";
import { encodeAt, pageAt } from "../../pipeline/segments";
import { CHUNK_RECORD_BYTES, writeChunkRecord } from "../../documents/chunk-table";
import type { ChunkingCheckpoint } from "../checkpoint";
import type { Stage } from "./stage";

/**
 * Keeps each chunk's char offsets, UTF-8 byte offsets, page and hash as the chunk
 * table's binary records, one block per slice; the text itself is served later from
 * the document text in R2. A document whose text was chunked while it was extracted
 * (`ChunkingCheckpoint.chunk` already at its end) has nothing left to do here.
 */
export const chunk: Stage<ChunkingCheckpoint> = async (job, cp, ctx) => {
  const opts = { size: job.options.chunkSize, overlap: job.options.chunkOverlap };
  const start = cp.chunk.start;
  const segments = start < cp.chars ? ctx.store.segmentsFrom(start, CHUNK_WINDOW_CHARS + chunkLookahead(opts)) : [];
  const windowStart = segments[0]?.charStart ?? start;
  const windowByteStart = segments[0]?.byteStart ?? 0;
  const window = segments.map((s) => s.text).join("");
  const eof = windowStart + window.length >= cp.chars;
  const headings = window ? ctx.store.headingOffsets(windowStart, windowStart + window.length) : [];
  const plan = planChunks(window, windowStart, eof, cp.chunk, headings, opts);
  checkLimits(ctx.limits, { chunks: plan.cursor.ordinal });
  ctx.work.bytes += window.length + plan.chunks.length * ROW_WORK_BYTES;
  const { records } = await chunkRecords(window, windowStart, windowByteStart, plan.chunks, (charStart) => pageAt(segments, charStart));
  const first = plan.chunks[0]?.ordinal;
  const next: ChunkingCheckpoint = { ...cp, chunk: plan.cursor };
  const counters = { chunksCreated: plan.cursor.ordinal };
  const persist = () => {
    if (first !== undefined) ctx.store.putChunkBlock(first, records);
    ctx.store.saveCheckpoint(next);
  };
  return plan.done ? { kind: "stage-done", counters, persist } : { kind: "progress", fraction: cp.chars ? plan.cursor.start / cp.chars : 1, counters, persist };
};

/**
 * The chunk table's records of `chunks`, planned over `window` (the text from char
 * `windowStart`, whose first UTF-8 byte is byte `windowByteStart` of the document), and
 * the byte offset of any char position in `extra` (absolute). The window is encoded once;
 * each chunk's hash input is a view of those bytes.
 */
export async function chunkRecords(
  window: string,
  windowStart: number,
  windowByteStart: number,
  chunks: PlannedChunk[],
  pageOf: (charStart: number) => number | null,
  extra: number[] = [],
): Promise<{ records: Uint8Array; byteAt: (charOffset: number) => number }> {
  const { bytes, offsets, cutsPair } = encodeAt(window, [
    ...chunks.flatMap((c) => [c.charStart - windowStart, c.charEnd - windowStart]),
    ...extra.map((p) => p - windowStart),
  ]);
  const at = (charOffset: number) => offsets.get(charOffset - windowStart) ?? 0;
  const enc = new TextEncoder();
  // One await per slice, not per chunk. In workerd, WebCrypto's digest (native, ~11 µs a
  // 1 KB chunk here) beat node:crypto's createHash (~27 µs: a stream object per call).
  const hashes = await Promise.all(
    chunks.map((c) => crypto.subtle.digest("SHA-256", cutsPair ? enc.encode(c.text) : bytes.subarray(at(c.charStart), at(c.charEnd)))),
  );
  const records = new Uint8Array(chunks.length * CHUNK_RECORD_BYTES);
  const view = new DataView(records.buffer);
  chunks.forEach((c, i) => {
    const place = {
      charStart: c.charStart,
      charEnd: c.charEnd,
      byteStart: windowByteStart + at(c.charStart),
      byteEnd: windowByteStart + at(c.charEnd),
      page: pageOf(c.charStart),
    };
    writeChunkRecord(view, i, place, new Uint8Array(hashes[i]!));
  });
  return { records, byteAt: (charOffset) => windowByteStart + at(charOffset) };
}
