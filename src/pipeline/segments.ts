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

/**
 * UTF-8 length of `text` as `TextEncoder` encodes it: a surrogate pair is 4 bytes, a
 * lone surrogate becomes U+FFFD (3 bytes).
 */
export function utf8Length(text: string, from = 0, to = text.length): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (isHighSurrogate(c) && i + 1 < to && isLowSurrogate(text.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * UTF-8 byte offsets of char `positions` inside a window of the text: `window` starts at
 * char `charBase` and byte `byteBase`. One pass over the window, whatever the number of
 * positions; each must lie in [charBase, charBase + window.length].
 */
export function utf8Offsets(window: string, charBase: number, byteBase: number, positions: number[]): Map<number, number> {
  const sorted = [...new Set(positions)].sort((a, b) => a - b);
  const out = new Map<number, number>();
  let char = 0;
  let byte = byteBase;
  for (const p of sorted) {
    const target = p - charBase;
    byte += utf8Length(window, char, target);
    char = target;
    out.set(p, byte);
  }
  return out;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
