import { describe, expect, it } from "vitest";
import { completeUtf8Length } from "../../src/pipeline/utf8";
import { int, rng } from "./random";

describe("completeUtf8Length", () => {
  it("holds back an incomplete trailing sequence only", () => {
    const euro = new TextEncoder().encode("a€"); // 61 e2 82 ac
    expect(completeUtf8Length(euro)).toBe(4);
    expect(completeUtf8Length(euro.subarray(0, 3))).toBe(1);
    expect(completeUtf8Length(euro.subarray(0, 2))).toBe(1);
    const emoji = new TextEncoder().encode("😀"); // f0 9f 98 80
    expect(completeUtf8Length(emoji.subarray(0, 3))).toBe(0);
    expect(completeUtf8Length(emoji)).toBe(4);
    expect(completeUtf8Length(new Uint8Array())).toBe(0);
    expect(completeUtf8Length(new Uint8Array([0x80, 0x80, 0x80, 0x80]))).toBe(4);
  });

  it("decodes any byte-range split to the original text", () => {
    const r = rng(7);
    const alphabet = ["a", "é", "€", "😀", "中", "\n", "ß", "𝄞"];
    for (let round = 0; round < 200; round++) {
      let text = "";
      for (let k = int(r, 0, 60); k > 0; k--) text += alphabet[int(r, 0, alphabet.length - 1)];
      const bytes = new TextEncoder().encode(text);
      let out = "";
      let carry = new Uint8Array();
      for (let off = 0; off < bytes.length; ) {
        const end = Math.min(bytes.length, off + int(r, 1, 7));
        const buf = new Uint8Array(carry.length + end - off);
        buf.set(carry);
        buf.set(bytes.subarray(off, end), carry.length);
        const n = end === bytes.length ? buf.length : completeUtf8Length(buf);
        out += new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(buf.subarray(0, n));
        carry = buf.slice(n);
        off = end;
      }
      expect(out).toBe(text);
    }
  });
});
