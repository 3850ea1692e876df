/** EXTRACTING a text source (plain, Markdown, HTML): one R2 range per slice. */
import { concatBytes } from "../../bytes";
import { PipelineError } from "../../pipeline/errors";
import { extractSlice, initialExtractState, type ExtractSliceResult, type TextKind } from "../../pipeline/extract";
import { extractReadablePage, READABLE_MAX_BYTES } from "../../pipeline/extract/readable";
import { spacedHeadings } from "../../pipeline/chunker";
import { checkLimits, ROW_WORK_BYTES, SOURCE_SLICE_BYTES } from "../../pipeline/limits";
import { appendSegments } from "../../pipeline/segments";
import { completeUtf8Length, decodeUtf8 } from "../../pipeline/utf8";
import { sourceKey } from "../../storage-keys";
import type { ExtractingCheckpoint } from "../checkpoint";
import { noteText } from "./empty-document";
import { kindOf, type Stage } from "./stage";
import { writesThrough, writeThrough } from "./write-through";

/** Work a page read through Readability stands for, per source byte, in the alarm's budget. */
const READABLE_WORK_FACTOR = 4;
/**
 * Work a text source byte stands for in the alarm's budget (`SLICE_DECODED_BYTES`, set for
 * PDF content, which pdf.js parses at 5–10 MB/s): text is extracted, chunked and hashed
 * at 40 MB/s and more, so half a byte each still keeps an alarm of text slices well inside
 * its 250 ms, with fewer alarms (and their storage commits) per document.
 */
const TEXT_WORK_FACTOR = 0.5;

/**
 * One R2 range of a text source → extracted text, hashed, then either written through
 * (chunked in memory and sent to the text's R2 upload: `writeThrough`) or, for a deep
 * scan (ANALYZING reads the segments) and a job begun before text was written through,
 * stored as segments for the later stages.
 */
export const extractText: Stage<ExtractingCheckpoint> = async (job, cp, ctx) => {
  const length = Math.min(SOURCE_SLICE_BYTES, job.byteSize - cp.sourceOffset);
  let body = new Uint8Array(0);
  if (length > 0) {
    const obj = await ctx.env.BUCKET.get(sourceKey(job), { range: { offset: cp.sourceOffset, length } });
    if (!obj) throw new PipelineError("SOURCE_UNAVAILABLE", "The uploaded source could not be read from storage", false);
    body = new Uint8Array(await obj.arrayBuffer());
  }
  const end = cp.sourceOffset + body.length;
  const isLast = end >= job.byteSize;
  ctx.work.bytes += TEXT_WORK_FACTOR * body.length;
  const bytes = concatBytes([Uint8Array.from(cp.carry), body]);
  const complete = isLast ? bytes.length : completeUtf8Length(bytes);
  const raw = bytes.subarray(0, complete);
  const { text: input, lossless } = decodeUtf8(raw);
  const state = cp.extract ?? initialExtractState(kindOf(job.mimeType) as TextKind);
  // A page that fits one slice is read whole, through Readability; a DOM and its scoring
  // cost several times a streaming pass over the page.
  const whole = state.kind === "html" && cp.sourceOffset === 0 && isLast && job.byteSize <= READABLE_MAX_BYTES;
  if (whole) ctx.work.bytes += READABLE_WORK_FACTOR * body.length;
  const page = whole && state.kind === "html" ? extractReadablePage(input, state) : null;
  const out: ExtractSliceResult = page ?? extractSlice(input, state, isLast, cp.chars);
  const next: ExtractingCheckpoint = {
    ...cp,
    sourceOffset: end,
    carry: Array.from(bytes.subarray(complete)),
    extract: out.state,
    // The document's title: its first heading, if it has one.
    title: cp.title ?? out.headings[0]?.title ?? null,
  };
  const through = writesThrough(job, cp);
  // Text that is exactly its valid UTF-8 input (Markdown or plain text with LF line
  // ends, past the first BOM) is hashed, and written through, from the bytes at hand.
  const asInput = lossless && out.text === input ? raw : null;
  const utf8 = through ? (asInput ?? new TextEncoder().encode(out.text)) : null;
  const segments = utf8 ? [] : appendSegments(next, out.text, null);
  if (utf8) {
    next.chars += out.text.length;
    next.textBytes += utf8.length;
  }
  noteText(cp, next, out.text, isLast, state.kind === "html" ? "html" : "text");
  checkLimits(ctx.limits, { chars: next.chars });
  // Headings too close to the last one stored cannot end a chunk (a heading flood).
  const headings = spacedHeadings(out.headings, cp.lastHeading ?? null);
  next.lastHeading = headings.at(-1)?.offset ?? cp.lastHeading ?? null;
  ctx.work.bytes += out.headings.length * ROW_WORK_BYTES;
  // An HTML page's title (Readability's, else its <title>) names it better than its first heading.
  const pageTitle = page?.title || (out.state.kind === "html" ? out.state.title : "");
  if (isLast && pageTitle) next.title = pageTitle;
  if (utf8) return writeThrough({ job, cp, next, text: out.text, utf8, headings: headings.map((h) => h.offset), isLast, ctx });
  next.contentHash = ctx.digest.append(cp, segments, next.textBytes, isLast, asInput);
  const counters = { bytesRead: end, charactersExtracted: next.chars };
  const persist = () => {
    for (const s of segments) ctx.store.putSegment(s);
    for (const h of headings) ctx.store.putHeading(h.offset, h.level, h.title);
    ctx.store.saveCheckpoint(next);
  };
  return isLast ? { kind: "stage-done", counters, persist } : { kind: "progress", fraction: end / job.byteSize, counters, persist };
};
