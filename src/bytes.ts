/** Small byte helpers shared by uploads, hashing, ids and the slice runner. */

/** Lower-case hex of `bytes`. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  let hex = "";
  for (const b of bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/** The parts joined; without copying when at most one part holds bytes. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const filled = parts.filter((p) => p.byteLength > 0);
  if (filled.length <= 1) return filled[0] ?? new Uint8Array(0);
  const out = new Uint8Array(filled.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of filled) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
