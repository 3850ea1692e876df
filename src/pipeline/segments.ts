/**
 * Extracted text is stored in bounded segments between slices. Pure: the slice runner
 * persists what these return.
 */
import { SEGMENT_CHARS } from "./limits";

/**
 * A stored piece of the document text: `charStart` is its offset (UTF-16 units) in
 * the whole text, `byteStart` the offset of its first UTF-8 byte.
 */
export interface TextSegment {
  seq: number;
  charStart: number;
  byteStart: number;
  page: number | null;
  text: string;
}

/** Running totals of the text produced so far (a checkpoint carries them). */
export interface TextTotals {
  segments: number;
  chars: number;
  textBytes: number;
}

/**
 * Splits new output text into segments of at most `SEGMENT_CHARS` (surrogate pairs kept
 * whole, so each is valid UTF-16 alone) and advances `totals` in place.
 */
export function appendSegments(totals: TextTotals, text: string, page: number | null): TextSegment[] {
  const segments: TextSegment[] = [];
  for (let i = 0; i < text.length; ) {
    let end = Math.min(text.length, i + SEGMENT_CHARS);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end += 1;
    const part = text.slice(i, end);
    segments.push({ seq: totals.segments, charStart: totals.chars, byteStart: totals.textBytes, page, text: part });
    totals.segments += 1;
    totals.chars += part.length;
    totals.textBytes += utf8Length(part);
    i = end;
  }
  return segments;
}

/** The page of the segment that holds `charOffset` (segments in order). */
export function pageAt(segments: TextSegment[], charOffset: number): number | null {
  let page: number | null = null;
  for (const s of segments) {
    if (s.charStart > charOffset) break;
    page = s.page;
  }
  return page;
}

const encoder = new TextEncoder();
/** Reused output of `utf8Length` (3 bytes per UTF-16 unit is the most UTF-8 can need). */
let scratch = new Uint8Array(0);

/**
 * UTF-8 length of `text[from, to)` as `TextEncoder` encodes it: a surrogate pair is 4
 * bytes, a lone surrogate (also one cut at `from` or `to`) becomes U+FFFD (3 bytes).
 * Counted by the runtime's native encoder into a reused buffer, at about 10× the speed
 * of a JavaScript loop over the chars.
 */
export function utf8Length(text: string, from = 0, to = text.length): number {
  if (to <= from) return 0;
  const part = from === 0 && to === text.length ? text : text.slice(from, to);
  if (scratch.length < part.length * 3) scratch = new Uint8Array(part.length * 3);
  return encoder.encodeInto(part, scratch).written;
}

/**
 * The UTF-8 bytes of `window` in one pass, and the byte offset in them of each char
 * position in `positions` (relative to the window, each in [0, window.length]). The
 * window is encoded piece by piece between the positions, so an offset is the length
 * of the encoded text before it, as `utf8Length` counts it; the bytes of a span between
 * two positions are then the encoding of that span alone (its hash input), unless some
 * position cuts a surrogate pair, which `cutsPair` reports.
 */
export function encodeAt(window: string, positions: number[]): { bytes: Uint8Array; offsets: Map<number, number>; cutsPair: boolean } {
  const sorted = [...new Set(positions)].sort((a, b) => a - b);
  const bytes = new Uint8Array(window.length * 3);
  const offsets = new Map<number, number>();
  let char = 0;
  let byte = 0;
  let cutsPair = false;
  for (const p of [...sorted, window.length]) {
    if (p > char) byte += encoder.encodeInto(window.slice(char, p), bytes.subarray(byte)).written;
    char = Math.max(char, p);
    offsets.set(p, byte);
    if (p > 0 && p < window.length && isHighSurrogate(window.charCodeAt(p - 1)) && isLowSurrogate(window.charCodeAt(p))) cutsPair = true;
  }
  return { bytes: bytes.subarray(0, byte), offsets, cutsPair };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
