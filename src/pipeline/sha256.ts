import { toHex } from "../bytes";

/** Checkpointable SHA-256 state: plain JSON, safe to store between alarm slices. */
export interface Sha256State {
  /** The eight 32-bit chaining words (unsigned). */
  h: number[];
  /** Bytes not yet forming a full 64-byte block, base64-encoded. */
  pending: string;
  /** Total bytes hashed so far. */
  length: number;
}

// FIPS 180-4 §4.2.2: first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

// FIPS 180-4 §5.3.3: initial hash value.
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const W = new Int32Array(64);

/**
 * Incremental SHA-256 in pure JS whose state can be saved with `toState()` and
 * restored with `fromState()`, so a large file can be hashed across many
 * bounded slices (crypto.subtle has no resumable digest).
 */
export class Sha256 {
  private readonly h = new Int32Array(8);
  private readonly buf = new Uint8Array(64);
  private bufLen = 0;
  private length = 0;

  constructor() {
    this.h.set(H0);
  }

  /** Feeds more bytes. */
  update(bytes: Uint8Array): this {
    let i = 0;
    const n = bytes.length;
    this.length += n;
    if (this.bufLen > 0) {
      const take = Math.min(64 - this.bufLen, n);
      this.buf.set(bytes.subarray(0, take), this.bufLen);
      this.bufLen += take;
      i = take;
      if (this.bufLen < 64) return this;
      this.block(this.buf, 0);
      this.bufLen = 0;
    }
    for (; i + 64 <= n; i += 64) this.block(bytes, i);
    if (i < n) {
      this.buf.set(bytes.subarray(i), 0);
      this.bufLen = n - i;
    }
    return this;
  }

  /** Finishes the hash (the instance must not be updated afterwards) and returns 64 hex chars. */
  digestHex(): string {
    const bitsHi = Math.floor(this.length / 0x20000000);
    const bitsLo = (this.length * 8) >>> 0;
    const padLen = this.bufLen < 56 ? 56 - this.bufLen : 120 - this.bufLen;
    const pad = new Uint8Array(padLen + 8);
    pad[0] = 0x80;
    const v = new DataView(pad.buffer);
    v.setUint32(padLen, bitsHi);
    v.setUint32(padLen + 4, bitsLo);
    const total = this.length;
    this.update(pad);
    this.length = total;
    let hex = "";
    for (let k = 0; k < 8; k++) hex += (this.h[k]! >>> 0).toString(16).padStart(8, "0");
    return hex;
  }

  /** The JSON checkpoint of the running hash. */
  toState(): Sha256State {
    return {
      h: Array.from(this.h, (x) => x >>> 0),
      pending: bytesToBase64(this.buf.subarray(0, this.bufLen)),
      length: this.length,
    };
  }

  /** Restores a hash saved with `toState()`. */
  static fromState(s: Sha256State): Sha256 {
    const pending = base64ToBytes(s.pending);
    if (s.h.length !== 8 || pending.length >= 64 || s.length % 64 !== pending.length % 64) {
      throw new Error("Invalid SHA-256 state");
    }
    const hash = new Sha256();
    for (let k = 0; k < 8; k++) hash.h[k] = s.h[k]! | 0;
    hash.buf.set(pending);
    hash.bufLen = pending.length;
    hash.length = s.length;
    return hash;
  }

  private block(p: Uint8Array, off: number): void {
    const w = W;
    for (let t = 0; t < 16; t++) {
      const j = off + t * 4;
      w[t] = (p[j]! << 24) | (p[j + 1]! << 16) | (p[j + 2]! << 8) | p[j + 3]!;
    }
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15]!;
      const y = w[t - 2]!;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
    }
    const h = this.h;
    let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, hh = h[7]!;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[t]! + w[t]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] = (h[0]! + a) | 0;
    h[1] = (h[1]! + b) | 0;
    h[2] = (h[2]! + c) | 0;
    h[3] = (h[3]! + d) | 0;
    h[4] = (h[4]! + e) | 0;
    h[5] = (h[5]! + f) | 0;
    h[6] = (h[6]! + g) | 0;
    h[7] = (h[7]! + hh) | 0;
  }
}

/** SHA-256 of the UTF-8 encoding of `text`, as 64 hex chars (crypto.subtle). */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

function bytesToBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function base64ToBytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
