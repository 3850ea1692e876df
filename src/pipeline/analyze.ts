/** Checkpoint of a running SimHash: plain JSON. */
export interface SimHasherState {
  /** Per-bit votes, index 0 = least significant bit. */
  counts: number[];
  /** 64-bit hashes of the last (up to) two words, as [hi, lo, hi, lo]. */
  prev: number[];
  /** A word that the previous piece ended inside (at most MAX_WORD chars kept). */
  partial: string;
  shingles: number;
}

/** Words are cut to this many chars, which also bounds the carried partial word. */
const MAX_WORD = 64;
// FNV-1a 64 offset basis, as two 32-bit halves; the prime is 2^40 + 0x1b3.
const BASIS_HI = 0xcbf29ce4;
const BASIS_LO = 0x84222325;

/**
 * Resumable 64-bit SimHash over word 3-shingles. Words are lower-cased runs of
 * letters and digits (cut to 64 chars); each CJK ideograph, kana or hangul
 * syllable is a word of its own. Each word is hashed with FNV-1a 64 over its
 * UTF-16 code units, and a shingle's hash is FNV-1a 64 over its three word
 * hashes. The result does not depend on how the text is split across `update`
 * calls.
 */
export class SimHasher {
  private counts = new Int32Array(64);
  private readonly slices = new Int32Array(2 * SLICES);
  private batch = 0;
  private prev: number[] = [];
  private partial = "";
  private shingles = 0;
  // Scratch result of hashing one word.
  private hi = 0;
  private lo = 0;

  /** Feeds the next piece of text. */
  update(text: string): this {
    const n = text.length;
    let start = -1; // start of the word being read in `text`
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      const kind = c < 128 ? ASCII_KIND[c]! : charKind(c);
      if (kind === WORD) {
        if (start < 0) {
          start = i;
          ascii = true;
        }
        if (c >= 128) ascii = false;
        continue;
      }
      if (start >= 0) {
        if (this.partial === "" && ascii) this.hashAscii(text, start, Math.min(i, start + MAX_WORD));
        else this.hashString(this.partial + text.slice(start, Math.min(i, start + MAX_WORD)));
        this.word();
        start = -1;
      } else if (i === 0 && this.partial !== "") {
        this.hashString(this.partial);
        this.word();
      }
      this.partial = "";
      if (kind === SINGLE) {
        this.hashString(text[i]!);
        this.word();
      }
    }
    if (start >= 0) {
      this.partial = (this.partial + text.slice(start, start + MAX_WORD)).slice(0, MAX_WORD);
    }
    return this;
  }

  /** The SimHash of everything fed so far, as 16 hex chars (the hasher can keep being updated). */
  digest(): string {
    const copy = SimHasher.fromState(this.toState());
    if (copy.partial !== "") {
      copy.hashString(copy.partial);
      copy.word();
    }
    if (copy.shingles === 0 && copy.prev.length > 0) {
      const [a = 0, b = 0, c = 0, d = 0] = copy.prev; // a one- or two-word text is its own shingle
      copy.vote(a, b, c, d, 0, 0);
    }
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
    this.flush();
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

  /** Hashes text[from, to), ASCII only, lower-casing on the fly. */
  private hashAscii(text: string, from: number, to: number): void {
    let hi = BASIS_HI;
    let lo = BASIS_LO;
    for (let i = from; i < to; i++) {
      let c = text.charCodeAt(i);
      if (c >= 65 && c <= 90) c |= 0x20;
      lo = (lo ^ c) >>> 0;
      const m = lo * 0x1b3;
      hi = (Math.imul(hi, 0x1b3) + Math.floor(m / 0x100000000) + (lo << 8)) >>> 0;
      lo = m >>> 0;
    }
    this.hi = hi;
    this.lo = lo;
  }

  /** Hashes a word given as a string (cut to MAX_WORD chars, then lower-cased). */
  private hashString(raw: string): void {
    const w = (raw.length > MAX_WORD ? raw.slice(0, MAX_WORD) : raw).toLowerCase();
    this.hashAscii(w, 0, w.length); // lower-casing again is a no-op
  }

  /** Shifts the word just hashed into the window and votes for the completed shingle. */
  private word(): void {
    const prev = this.prev;
    if (prev.length === 4) {
      this.vote(prev[0]!, prev[1]!, prev[2]!, prev[3]!, this.hi, this.lo);
      prev[0] = prev[2]!;
      prev[1] = prev[3]!;
      prev[2] = this.hi;
      prev[3] = this.lo;
    } else {
      prev.push(this.hi, this.lo);
    }
  }

  /** Adds one shingle, given as the 32-bit halves of its three word hashes. */
  private vote(h1: number, l1: number, h2: number, l2: number, h3: number, l3: number): void {
    let hi = BASIS_HI;
    let lo = BASIS_LO;
    for (let k = 0; k < 6; k++) {
      const x = k === 0 ? h1 : k === 1 ? l1 : k === 2 ? h2 : k === 3 ? l2 : k === 4 ? h3 : l3;
      lo = (lo ^ x) >>> 0;
      const m = lo * 0x1b3;
      hi = (Math.imul(hi, 0x1b3) + Math.floor(m / 0x100000000) + (lo << 8)) >>> 0;
      lo = m >>> 0;
    }
    // A final avalanche (murmur3 fmix) so every output bit depends on every input bit.
    lo = fmix(lo ^ hi);
    hi = fmix(hi ^ lo);
    // Bit-sliced counters: slice k holds bit k of each output bit's count of ones.
    const sl = this.slices;
    let carryLo = lo;
    let carryHi = hi;
    for (let k = 0; carryLo !== 0 || carryHi !== 0; k++) {
      const a = sl[k]!;
      const b = sl[k + SLICES]!;
      sl[k] = a ^ carryLo;
      sl[k + SLICES] = b ^ carryHi;
      carryLo &= a;
      carryHi &= b;
    }
    this.shingles++;
    if (++this.batch === MAX_BATCH) this.flush();
  }

  /** Moves the bit-sliced counts into `counts`. */
  private flush(): void {
    if (this.batch === 0) return;
    const sl = this.slices;
    for (let b = 0; b < 32; b++) {
      let onesLo = 0;
      let onesHi = 0;
      for (let k = 0; k < SLICES; k++) {
        onesLo += ((sl[k]! >>> b) & 1) << k;
        onesHi += ((sl[k + SLICES]! >>> b) & 1) << k;
      }
      this.counts[b]! += 2 * onesLo - this.batch;
      this.counts[b + 32]! += 2 * onesHi - this.batch;
    }
    sl.fill(0);
    this.batch = 0;
  }
}

/** Bits per bit-sliced counter, and how many shingles they can count before a flush. */
const SLICES = 16;
const MAX_BATCH = (1 << SLICES) - 1;

function fmix(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Number of differing bits between two 16-hex-char SimHashes. */
export function hammingDistance(a: string, b: string): number {
  if (a.length !== 16 || b.length !== 16) throw new RangeError("SimHash must be 16 hex chars");
  return popcount(parseInt(a.slice(0, 8), 16) ^ parseInt(b.slice(0, 8), 16)) + popcount(parseInt(a.slice(8), 16) ^ parseInt(b.slice(8), 16));
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

const ASCII_KIND = new Uint8Array(128).map((_, c) => ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? WORD : SEPARATOR));

function charKind(c: number): number {
  if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x3040 && c <= 0x30ff) || (c >= 0xac00 && c <= 0xd7af)) {
    return SINGLE;
  }
  if (
    c <= 0xbf ||
    c === 0xd7 ||
    c === 0xf7 ||
    (c >= 0x2000 && c <= 0x2bff) ||
    (c >= 0x3000 && c <= 0x303f) ||
    (c >= 0xfe30 && c <= 0xfe4f) ||
    (c >= 0xff00 && c <= 0xff0f) ||
    (c >= 0xff1a && c <= 0xff20) ||
    c === 0xfeff
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
