/** CHUNKING: plans the chunks of the next window of text; a window's decisions are final. */
import { chunkLookahead, planChunks } from "../../pipeline/chunker";
import { checkLimits, CHUNK_WINDOW_CHARS, ROW_WORK_BYTES } from "../../pipeline/limits";
import { pageAt, utf8Offsets } from "../../pipeline/segments";
import { toHex } from "../../bytes";
import type { ChunkingCheckpoint } from "../checkpoint";
import type { PlannedChunkRow } from "../pipeline-store";
import type { Stage } from "./stage";

/**
 * Keeps each chunk's char offsets, UTF-8 byte offsets, page and hash (the chunk table's
 * record); the text itself is served later from the document text in R2.
 */
export const chunk: Stage<ChunkingCheckpoint> = async (job, cp, ctx) => {
  const opts = { size: job.options.chunkSize, overlap: job.options.chunkOverlap };
  const start = cp.chunk.start;
  const segments = ctx.store.segmentsFrom(start, CHUNK_WINDOW_CHARS + chunkLookahead(opts));
  const windowStart = segments[0]?.charStart ?? start;
  const windowByteStart = segments[0]?.byteStart ?? 0;
  const window = segments.map((s) => s.text).join("");
  const eof = windowStart + window.length >= cp.chars;
  const headings = ctx.store.headingOffsets(windowStart, windowStart + window.length);
  const plan = planChunks(window, windowStart, eof, cp.chunk, headings, opts);
  checkLimits(ctx.limits, { chunks: plan.cursor.ordinal });
  ctx.work.bytes += window.length + plan.chunks.length * ROW_WORK_BYTES;
  const bytes = utf8Offsets(window, windowStart, windowByteStart, plan.chunks.flatMap((c) => [c.charStart, c.charEnd]));
  // One await per slice, not per chunk. In workerd, WebCrypto's digest (native, ~11 µs a
  // 1 KB chunk here) beat node:crypto's createHash (~27 µs: a stream object per call).
  const enc = new TextEncoder();
  const hashes = await Promise.all(plan.chunks.map(async (c) => toHex(await crypto.subtle.digest("SHA-256", enc.encode(c.text)))));
  const chunks: PlannedChunkRow[] = plan.chunks.map(({ ordinal, charStart, charEnd }, i) => ({
    ordinal,
    charStart,
    charEnd,
    byteStart: bytes.get(charStart) ?? 0,
    byteEnd: bytes.get(charEnd) ?? 0,
    page: pageAt(segments, charStart),
    contentHash: hashes[i] ?? "",
  }));
  const next: ChunkingCheckpoint = { ...cp, chunk: plan.cursor };
  const counters = { chunksCreated: plan.cursor.ordinal };
  const persist = () => {
    for (const c of chunks) ctx.store.putChunk(c);
    ctx.store.saveCheckpoint(next);
  };
  return plan.done
    ? { kind: "stage-done", counters, persist }
    : { kind: "progress", fraction: cp.chars ? plan.cursor.start / cp.chars : 1, counters, persist };
};
