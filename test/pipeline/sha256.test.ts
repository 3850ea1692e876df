import { describe, expect, it } from "vitest";
import { Sha256, sha256Hex } from "../../src/pipeline/sha256";
import { cuts, int, rng } from "./random";

async function subtleHex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

describe("Sha256", () => {
  it("matches known digests", () => {
    expect(new Sha256().digestHex()).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(new Sha256().update(new TextEncoder().encode("abc")).digestHex()).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("matches crypto.subtle on random inputs split anywhere, through JSON checkpoints", async () => {
    const r = rng(42);
    for (let round = 0; round < 60; round++) {
      const bytes = new Uint8Array(round < 20 ? int(r, 0, 200) : int(r, 0, 5000));
      for (let i = 0; i < bytes.length; i++) bytes[i] = int(r, 0, 255);
      let hash = new Sha256();
      let prev = 0;
      for (const p of [...cuts(r, bytes.length, int(r, 0, 8)), bytes.length]) {
        hash.update(bytes.subarray(prev, p));
        prev = p;
        if (r() < 0.5) hash = Sha256.fromState(JSON.parse(JSON.stringify(hash.toState())));
      }
      expect(hash.digestHex()).toBe(await subtleHex(bytes));
    }
  });

  it("keeps its checkpoint small: fewer than 64 pending bytes", () => {
    const s = new Sha256().update(new Uint8Array(130)).toState();
    expect(s.length).toBe(130);
    expect(atob(s.pending).length).toBe(2);
    expect(s.h).toHaveLength(8);
  });
});

describe("sha256Hex", () => {
  it("hashes the UTF-8 bytes of a string", async () => {
    const text = "héllo 😀";
    expect(await sha256Hex(text)).toBe(await subtleHex(new TextEncoder().encode(text)));
    expect(await sha256Hex(text)).toBe(new Sha256().update(new TextEncoder().encode(text)).digestHex());
  });
});
