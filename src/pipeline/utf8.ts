/**
 * Length of the longest prefix of `bytes` that does not end in the middle of a
 * multi-byte UTF-8 sequence. At most 3 trailing bytes are held back; the caller
 * prepends them to the next byte range so characters that straddle range
 * boundaries decode correctly. Malformed tails are not held back (the decoder
 * replaces them with U+FFFD either way).
 */
export function completeUtf8Length(bytes: Uint8Array): number {
  const n = bytes.length;
  // Walk back over at most 3 continuation bytes (10xxxxxx) to the lead byte.
  for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
    const b = bytes[i]!;
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (b >= 0xf8) return n; // not a valid lead byte
    return n - i < need ? i : n;
  }
  return n;
}

/**
 * `bytes` as text, and whether that was lossless: valid UTF-8, so the text encodes back to
 * exactly these bytes. ignoreBOM: a fresh decoder would drop U+FEFF at the start of
 * *every* range, making the text depend on where ranges fall; the extractor strips the
 * document's own BOM. Invalid input is decoded a second time, with replacement.
 */
export function decodeUtf8(bytes: Uint8Array): { text: string; lossless: boolean } {
  try {
    return { text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes), lossless: true };
  } catch {
    return { text: new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(bytes), lossless: false };
  }
}
