/**
 * Extracted text is stored in bounded segments between slices. Pure: the slice runner
 * persists what these return.
 */
import { SEGMENT_CHARS } from "./limits";
import { Sha256, type Sha256State } from "./sha256";

/** A stored piece of the document text, `charStart` its offset in the whole text. */
export interface TextSegment {
  seq: number;
  charStart: number;
  page: number | null;
  text: string;
}

/** Running totals of the text produced so far (a checkpoint carries them). */
export interface TextTotals {
  segments: number;
  chars: number;
  textBytes: number;
  sha: Sha256State | null;
}

/**
 * Splits new output text into segments of at most `SEGMENT_CHARS` (surrogate pairs kept
 * whole, so each is valid UTF-16 alone) and advances `totals` and its hash in place.
 */
export function appendSegments(totals: TextTotals, text: string, page: number | null): TextSegment[] {
  const segments: TextSegment[] = [];
  const sha = totals.sha ? Sha256.fromState(totals.sha) : new Sha256();
  const encoder = new TextEncoder();
  for (let i = 0; i < text.length; ) {
    let end = Math.min(text.length, i + SEGMENT_CHARS);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end += 1;
    const part = text.slice(i, end);
    const bytes = encoder.encode(part);
    sha.update(bytes);
    segments.push({ seq: totals.segments, charStart: totals.chars, page, text: part });
    totals.segments += 1;
    totals.chars += part.length;
    totals.textBytes += bytes.length;
    i = end;
  }
  totals.sha = sha.toState();
  return segments;
}

/** The SHA-256 of all text appended so far. */
export function textHash(totals: TextTotals): string {
  return (totals.sha ? Sha256.fromState(totals.sha) : new Sha256()).digestHex();
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

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
