import { describe, expect, it } from "vitest";
import { decodeChunkRecords, encodeChunkRecords, CHUNK_RECORD_BYTES } from "../../src/documents/chunk-table";
import { SEGMENT_CHARS } from "../../src/pipeline/limits";
import { appendSegments, encodeAt, utf8Length } from "../../src/pipeline/segments";
import { sha256Hex } from "../../src/pipeline/sha256";

const enc = new TextEncoder();

describe("sha256Hex (native)", () => {
  it("matches known digests of the UTF-8 text", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("日本 😀")).toBe(sha256Hex(enc.encode("日本 😀")));
  });
});

describe("utf8Length and encodeAt", () => {
  const text = "a é 日本 😀 ü ß — \uFEFF end";

  it("agree with TextEncoder for 1- to 4-byte characters", () => {
    expect(utf8Length(text)).toBe(enc.encode(text).length);
    for (let i = 0; i <= text.length; i++) {
      if (i > 0 && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff) continue; // inside a pair
      expect(utf8Length(text, 0, i), `at ${i}`).toBe(enc.encode(text.slice(0, i)).length);
    }
  });

  it("encodes a window once and maps char positions to byte offsets in it", () => {
    const positions = [20, 3, 7, 7, 12, text.length];
    const { bytes, offsets, cutsPair } = encodeAt(text, positions);
    expect(cutsPair).toBe(false);
    expect(bytes).toEqual(enc.encode(text));
    for (const p of positions) expect(offsets.get(p)).toBe(enc.encode(text.slice(0, p)).length);
    // The bytes between two positions are the encoding of that span alone (a chunk's hash input).
    expect(bytes.subarray(offsets.get(3), offsets.get(12))).toEqual(enc.encode(text.slice(3, 12)));
  });

  it("reports a position that cuts a surrogate pair, counting each half as U+FFFD", () => {
    const t = "ab😀cd";
    const { offsets, cutsPair } = encodeAt(t, [3]);
    expect(cutsPair).toBe(true);
    expect(offsets.get(3)).toBe(utf8Length(t, 0, 3));
    expect(offsets.get(t.length)).toBe(utf8Length(t, 0, 3) + utf8Length(t, 3));
    expect(encodeAt(t, [2, 4]).cutsPair).toBe(false);
  });

  it("counts a lone surrogate as U+FFFD, as TextEncoder writes it", () => {
    expect(utf8Length("a\uD800b")).toBe(enc.encode("a\uD800b").length);
  });
});

describe("appendSegments", () => {
  it("gives every segment its char and byte start, keeping surrogate pairs whole", () => {
    const totals = { segments: 0, chars: 0, textBytes: 0 };
    const text = "x".repeat(SEGMENT_CHARS - 1) + "😀" + "日".repeat(10);
    const segments = appendSegments(totals, text, 3);
    expect(segments).toHaveLength(2);
    expect(segments[0]!.text.length).toBe(SEGMENT_CHARS + 1);
    expect(segments[1]).toMatchObject({ seq: 1, charStart: SEGMENT_CHARS + 1, byteStart: SEGMENT_CHARS - 1 + 4, page: 3 });
    expect(totals).toEqual({ segments: 2, chars: text.length, textBytes: enc.encode(text).length });
  });
});

describe("chunk table records", () => {
  it("round-trip offsets, pages (including none) and hashes in fixed-width records", () => {
    const records = [
      { charStart: 0, charEnd: 10, byteStart: 0, byteEnd: 14, page: null, contentHash: sha256Hex("a") },
      { charStart: 8, charEnd: 4_000_000_000, byteStart: 9, byteEnd: 4_294_967_295, page: 0, contentHash: sha256Hex("b") },
      { charStart: 5, charEnd: 6, byteStart: 7, byteEnd: 8, page: 9999, contentHash: sha256Hex("c") },
    ];
    const bytes = encodeChunkRecords(records);
    expect(bytes.length).toBe(3 * CHUNK_RECORD_BYTES);
    expect(decodeChunkRecords(bytes)).toEqual(records);
    expect(decodeChunkRecords(bytes.subarray(CHUNK_RECORD_BYTES))).toEqual(records.slice(1));
    expect(() => decodeChunkRecords(bytes.subarray(1))).toThrow(/whole number/);
  });
});
