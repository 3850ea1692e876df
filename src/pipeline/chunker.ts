/** Chunk sizing, in UTF-16 chars. */
export interface ChunkOptions {
  size: number;
  overlap: number;
}

/** The sizing used when a job does not choose one. */
export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { size: 1000, overlap: 100 };

/** Smallest and largest allowed chunk size. */
export const MIN_CHUNK_SIZE = 100;
export const MAX_CHUNK_SIZE = 8000;

/** Returns null when the options are usable, else a message for the caller. */
export function validateChunkOptions(o: ChunkOptions): string | null {
  if (!Number.isInteger(o.size) || o.size < MIN_CHUNK_SIZE || o.size > MAX_CHUNK_SIZE) {
    return `Invalid chunk size. Must be an integer between ${MIN_CHUNK_SIZE} and ${MAX_CHUNK_SIZE}.`;
  }
  if (!Number.isInteger(o.overlap) || o.overlap < 0 || o.overlap * 2 >= o.size) {
    return "Invalid chunk overlap. Must be an integer of at least 0 and less than half the chunk size.";
  }
  return null;
}

/** Where chunking resumes: the next chunk's ordinal and start offset. Plain JSON. */
export interface ChunkCursor {
  ordinal: number;
  start: number;
}

/** One chunk: `text` is exactly the document text in [charStart, charEnd). */
export interface PlannedChunk {
  ordinal: number;
  charStart: number;
  charEnd: number;
  text: string;
}

/**
 * How many chars past `cursor.start` a window must hold (unless it reaches the
 * end of the document) for the next chunk's extent to be final: every break
 * candidate lies in (start, start + size] and is judged by the char after it.
 */
export function chunkLookahead(o: ChunkOptions): number {
  return o.size + 1;
}

/**
 * Plans chunks over a window of the document text. `window` is the text in
 * [windowStart, windowStart + window.length) and must contain `cursor.start`;
 * `eof` says the window reaches the end of the document; `headings` are the
 * absolute offsets of heading starts inside the window (ascending). Returns
 * every chunk decided within the window, the advanced cursor, and done=true
 * once the document is fully chunked. The result does not depend on how the
 * document is cut into windows, provided each window holds `chunkLookahead`
 * chars past the cursor or reaches the end. A window that holds fewer (and
 * is not at the end) yields no chunks and leaves the cursor unchanged.
 *
 * A chunk ends just before the first heading inside it (if the chunk itself starts at a
 * heading, the first at least `minHeadingSection` chars in); otherwise at the best
 * break in its second half: after a blank line, then after a sentence end, then at a word start,
 * else a hard cut at `size` (never inside a surrogate pair). The next chunk
 * starts `overlap` chars before the end, moved forward to a word start when
 * one lies in the overlap; after a heading break it starts at the heading.
 * Whitespace-only chunks are skipped.
 */
export function planChunks(
  window: string,
  windowStart: number,
  eof: boolean,
  cursor: ChunkCursor,
  headings: number[],
  o: ChunkOptions,
): { chunks: PlannedChunk[]; cursor: ChunkCursor; done: boolean } {
  const windowEnd = windowStart + window.length;
  if (cursor.start < windowStart || cursor.start > windowEnd) {
    throw new RangeError(`Chunk cursor ${cursor.start} is outside the window [${windowStart}, ${windowEnd})`);
  }
  const sorted = isAscending(headings) ? headings : [...headings].sort((a, b) => a - b);
  const chunks: PlannedChunk[] = [];
  let ordinal = cursor.ordinal;
  let s = cursor.start;
  const lookahead = chunkLookahead(o);
  const minLen = Math.ceil(o.size / 2);
  const minSection = minHeadingSection(o);
  for (;;) {
    const avail = windowEnd - s;
    // A chunk that opens a heading section holds at least `minSection` chars before the
    // next heading may end it: small sections merge forward (a flood of "# h" lines must
    // not become one chunk per line). Any other chunk ends at the first heading inside it.
    const firstBreakable = firstHeadingIn(sorted, s, s) === s ? s + minSection : s + 1;
    if (eof && avail <= o.size && firstHeadingIn(sorted, firstBreakable, windowEnd - 1) < 0) {
      if (avail > 0 && hasNonSpace(window, s - windowStart, windowEnd - windowStart)) {
        chunks.push({ ordinal: ordinal++, charStart: s, charEnd: windowEnd, text: window.slice(s - windowStart) });
      }
      return { chunks, cursor: { ordinal, start: windowEnd }, done: true };
    }
    if (!eof && avail < lookahead) return { chunks, cursor: { ordinal, start: s }, done: false };

    const ls = s - windowStart;
    const heading = firstHeadingIn(sorted, firstBreakable, s + o.size);
    let end: number;
    let next: number;
    if (heading >= 0) {
      end = heading;
      next = heading;
    } else {
      end = windowStart + findBreak(window, ls + minLen, ls + o.size);
      next = overlapStart(window, windowStart, s, end, o.overlap);
    }
    if (hasNonSpace(window, ls, end - windowStart)) {
      chunks.push({ ordinal: ordinal++, charStart: s, charEnd: end, text: window.slice(ls, end - windowStart) });
    }
    s = next;
  }
}

/**
 * The shortest heading section that ends a chunk: a quarter of the chunk size. Shorter
 * sections merge into the next, so a flood of headings gives at most about 4 chunks per
 * `size` chars.
 */
export function minHeadingSection(o: ChunkOptions): number {
  return Math.ceil(o.size / 4);
}

/**
 * Headings closer than this to the previous kept one are not stored: no chunk option
 * can break there (`minHeadingSection` of the smallest size), and a flood of heading
 * lines would otherwise be a stored row per line.
 */
export const MIN_HEADING_GAP = Math.ceil(MIN_CHUNK_SIZE / 4);

/** The headings worth storing, in order, given the offset of the last one kept (or null). */
export function spacedHeadings<H extends { offset: number }>(headings: H[], lastKept: number | null): H[] {
  const kept: H[] = [];
  let last = lastKept;
  for (const h of headings) {
    if (last !== null && h.offset - last < MIN_HEADING_GAP) continue;
    kept.push(h);
    last = h.offset;
  }
  return kept;
}

/** Local index of the best break in [lo, hi] (a break at b ends the chunk before window[b]). */
function findBreak(w: string, lo: number, hi: number): number {
  // After a blank line: the last "\n\n" ending in [lo, hi] (searched in a slice, so the
  // search never runs back past `lo`).
  const from = Math.max(0, lo - 2);
  const blank = w.slice(from, hi).lastIndexOf("\n\n");
  if (blank >= 0) return from + blank + 2;
  // Scanning down from `hi`, the first sentence end wins; word starts are noted on the way.
  let word = -1;
  let cur = w.charCodeAt(hi);
  for (let b = hi; b >= lo; b--) {
    const prev = w.charCodeAt(b - 1);
    if (isSpace(prev)) {
      const p2 = w.charCodeAt(b - 2);
      if (p2 === 46 || p2 === 33 || p2 === 63) return b; // ". " "! " "? "
      if (word < 0 && !isSpace(cur)) word = b;
    } else if (prev === 0x3002 || prev === 0xff01 || prev === 0xff1f) {
      return b; // 。！？ need no following space
    }
    cur = prev;
  }
  if (word >= 0) return word;
  return isHighSurrogate(w.charCodeAt(hi - 1)) && isLowSurrogate(w.charCodeAt(hi)) ? hi - 1 : hi;
}

/** Absolute start of the chunk after one ending at `end`, overlapping it by at most `overlap`. */
function overlapStart(w: string, windowStart: number, start: number, end: number, overlap: number): number {
  const le = end - windowStart;
  let c = Math.max(end - overlap, start + 1) - windowStart;
  if (isLowSurrogate(w.charCodeAt(c)) && isHighSurrogate(w.charCodeAt(c - 1))) c++;
  for (let p = c; p <= le; p++) {
    if (!isSpace(w.charCodeAt(p)) && isSpace(w.charCodeAt(p - 1))) return windowStart + p;
  }
  return windowStart + c;
}

/** The first heading offset in [lo, hi], or -1. */
function firstHeadingIn(sorted: number[], lo: number, hi: number): number {
  let a = 0;
  let b = sorted.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (sorted[m]! < lo) a = m + 1;
    else b = m;
  }
  const h = a < sorted.length ? sorted[a]! : -1;
  return h >= 0 && h <= hi ? h : -1;
}

function isAscending(xs: number[]): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i]! < xs[i - 1]!) return false;
  return true;
}

function hasNonSpace(w: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isSpace(w.charCodeAt(i))) return true;
  return false;
}

/** Unicode White_Space (the same set as JS `\s`, minus nothing that matters here). */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
