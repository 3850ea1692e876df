import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { allShards, fnv1a32, projectDb, projectShard, shardIndex } from "../../src/db/shards";
import { SHARDS } from "./shard-helpers";

describe("shard routing", () => {
  it("hashes with 32-bit FNV-1a over UTF-8 (published test vectors)", () => {
    // http://www.isthe.com/chongo/src/fnv/test_fnv.c
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
    // Non-ASCII ids hash their UTF-8 bytes, as every other language would.
    expect(fnv1a32("é")).toBe(fnv1a32("\u00e9"));
  });

  it("sends fixed project ids to fixed shards, whatever the isolate, deploy or language", () => {
    // [N=2, N=4, N=16], computed independently in Python: h = 0x811c9dc5; for b in
    // id.encode("utf-8"): h = ((h ^ b) * 0x01000193) & 0xffffffff; shard = h % N.
    const expected: Record<string, number[]> = {
      proj_a: [0, 2, 14],
      proj_b: [1, 3, 11],
      proj_123: [1, 1, 5],
      acme: [1, 3, 15],
      "tenant-42": [0, 2, 2],
      Ünïcode: [1, 3, 11],
      proj_docs: [0, 0, 4],
      proj_list: [1, 3, 3],
    };
    for (const [id, shards] of Object.entries(expected)) {
      expect([shardIndex(id, 2), shardIndex(id, 4), shardIndex(id, 16)], id).toEqual(shards);
    }
  });

  it("keeps a project on shard i or moves it to i + N when N doubles", () => {
    for (let n = 0; n < 2000; n++) {
      const id = `p${n}`;
      const before = shardIndex(id, 4);
      expect([before, before + 4]).toContain(shardIndex(id, 8));
    }
  });

  it("spreads projects evenly enough over the shards", () => {
    const counts = Array.from({ length: SHARDS }, () => 0);
    for (let n = 0; n < 10_000; n++) counts[shardIndex(`project-${n}`, SHARDS)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000 / SHARDS)).toBeLessThan(10_000 / SHARDS / 10);
  });

  it("runs the tests on at least two shards, each its own database", () => {
    const shards = allShards(env);
    expect(shards.length).toBeGreaterThanOrEqual(2);
    expect(shards.map((s) => s.name)).toEqual(["DB_0", "DB_1"]);
    expect(new Set(shards.map((s) => s.db)).size).toBe(shards.length);
    expect(projectDb(env, "proj_a")).toBe(shards[projectShard(env, "proj_a").index]!.db);
  });

  it("fails loudly when D1_SHARDS names a binding that does not exist", () => {
    const broken = { ...env, D1_SHARDS: "DB_0,DB_9" };
    expect(() => allShards(broken)).toThrow(/DB_9/);
    expect(() => projectDb({ ...env, D1_SHARDS: "" }, "proj_a")).toThrow(/D1_SHARDS/);
  });
});
