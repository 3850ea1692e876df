/** Checkpoint of a running SimHash: plain JSON. */
export interface SimHasherState {
  /** Per-bit votes, index 0 = least significant bit. */
  counts: number[];
  /** The last (up to) two complete words. */
  prev: string[];
  /** A word that the previous piece ended inside (at most MAX_WORD chars kept). */
  partial: string;
  shingles: number;
}

/** Words are cut to this many chars, which also bounds the carried partial word. */
const MAX_WORD = 64;

/**
 * Resumable 64-bit SimHash over word 3-shingles (FNV-1a 64 per shingle).
 * Words are lower-cased runs of letters and digits; each CJK ideograph, kana
 * or hangul syllable is a word of its own. The result does not depend on how
 * the text is split across `update` calls.
 */
export class SimHasher {
  private counts = new Int32Array(64);
  private prev: string[] = [];
  private partial = "";
  private shingles = 0;

  /** Feeds the next piece of text. */
  update(text: string): this {
    const n = text.length;
    let start = -1; // start of the word being read in `text`
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      const kind = charKind(c);
      if (kind === WORD) {
        if (start < 0) start = i;
        continue;
      }
      if (start >= 0) {
        this.word(this.partial + text.slice(start, Math.min(i, start + MAX_WORD)));
        start = -1;
      } else if (this.partial !== "" && i === 0) {
        this.word(this.partial);
      }
      this.partial = "";
      if (kind === SINGLE) this.word(text[i]!);
    }
    if (start >= 0) {
      this.partial = (this.partial + text.slice(start, start + MAX_WORD)).slice(0, MAX_WORD);
    }
    return this;
  }

  /** The SimHash of everything fed so far, as 16 hex chars (the hasher can keep being updated). */
  digest(): string {
    const copy = SimHasher.fromState(this.toState());
    if (copy.partial !== "") copy.word(copy.partial);
    if (copy.shingles === 0 && copy.prev.length > 0) copy.add(copy.prev.join(" "));
    let hi = 0;
    let lo = 0;
    for (let b = 0; b < 32; b++) {
      if (copy.counts[b]! > 0) lo |= 1 << b;
      if (copy.counts[b + 32]! > 0) hi |= 1 << b;
    }
    return hex8(hi) + hex8(lo);
  }

  /** The JSON checkpoint. */
  toState(): SimHasherState {
    return { counts: Array.from(this.counts), prev: [...this.prev], partial: this.partial, shingles: this.shingles };
  }

  /** Restores a hasher saved with `toState()`. */
  static fromState(s: SimHasherState): SimHasher {
    const h = new SimHasher();
    h.counts = Int32Array.from(s.counts);
    h.prev = [...s.prev];
    h.partial = s.partial;
    h.shingles = s.shingles;
    return h;
  }

  private word(raw: string): void {
    const w = raw.length > MAX_WORD ? raw.slice(0, MAX_WORD).toLowerCase() : raw.toLowerCase();
    if (this.prev.length === 2) {
      this.add(`${this.prev[0]!} ${this.prev[1]!} ${w}`);
      this.prev[0] = this.prev[1]!;
      this.prev[1] = w;
    } else {
      this.prev.push(w);
    }
  }

  private add(shingle: string): void {
    // FNV-1a 64 over UTF-16 code units, as two 32-bit halves (prime 2^40 + 0x1b3).
    let hi = 0xcbf29ce4;
    let lo = 0x84222325;
    for (let i = 0; i < shingle.length; i++) {
      lo = (lo ^ shingle.charCodeAt(i)) >>> 0;
      const m = lo * 0x1b3;
      hi = (Math.imul(hi, 0x1b3) + Math.floor(m / 0x100000000) + (lo << 8)) >>> 0;
      lo = m >>> 0;
    }
    const counts = this.counts;
    for (let b = 0; b < 32; b++) {
      counts[b]! += (lo >>> b) & 1 ? 1 : -1;
      counts[b + 32]! += (hi >>> b) & 1 ? 1 : -1;
    }
    this.shingles++;
  }
}

/** Number of differing bits between two 16-hex-char SimHashes. */
export function hammingDistance(a: string, b: string): number {
  if (a.length !== 16 || b.length !== 16) throw new RangeError("SimHash must be 16 hex chars");
  return popcount(parseInt(a.slice(0, 8), 16) ^ parseInt(b.slice(0, 8), 16)) +
    popcount(parseInt(a.slice(8), 16) ^ parseInt(b.slice(8), 16));
}

/**
 * The four 16-bit bands of a SimHash, as 4-hex-char strings, for LSH look-ups:
 * two hashes within distance 3 agree on at least one band (pigeonhole).
 */
export function simhashBands(hex: string): [string, string, string, string] {
  if (hex.length !== 16) throw new RangeError("SimHash must be 16 hex chars");
  return [hex.slice(0, 4), hex.slice(4, 8), hex.slice(8, 12), hex.slice(12, 16)];
}

export { LanguageGuesser, type LanguageGuesserState } from "./language";

const SEPARATOR = 0;
const WORD = 1;
const SINGLE = 2;

function charKind(c: number): number {
  if (c < 128) {
    return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? WORD : SEPARATOR;
  }
  if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x3040 && c <= 0x30ff) || (c >= 0xac00 && c <= 0xd7af)) {
    return SINGLE;
  }
  if (
    c <= 0xbf || c === 0xd7 || c === 0xf7 || (c >= 0x2000 && c <= 0x2bff) || (c >= 0x3000 && c <= 0x303f) ||
    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff0f) || (c >= 0xff1a && c <= 0xff20) || c === 0xfeff
  ) {
    return SEPARATOR;
  }
  return WORD;
}

function popcount(x: number): number {
  let v = x >>> 0;
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

function hex8(x: number): string {
  return (x >>> 0).toString(16).padStart(8, "0");
}
