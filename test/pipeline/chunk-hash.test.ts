import { describe, expect, it } from "vitest";
import { chunkHash } from "../../src/pipeline/chunk-hash";

async function subtleHex(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

describe("chunkHash", () => {
  it("is the hex SHA-256 of the UTF-8 text, synchronously", async () => {
    for (const text of ["", "abc", "café 日本語 😀 \u{1D11E}", "x".repeat(100_000), "lone \uD800 surrogate"]) {
      expect(chunkHash(text)).toBe(await subtleHex(text));
    }
    expect(chunkHash("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
