import { describe, expect, it } from "vitest";
import { BatchAcceptCache } from "../../src/batches/accept-cache";
import type { Role } from "../../src/auth/policy";
import type { Access } from "../../src/jobs/job-access";

const BATCH = "0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11";
const OTHER_BATCH = "0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c12";

function caller(roles: Role[], projects = ["proj_a"], sub = "alice", projectId = "proj_a"): Access {
  return { principal: { sub, roles, projects }, projectId };
}

/** A cache on a clock the test moves, and the number of times the object was asked. */
function setup(ttlMs = 2_000, max = 1_000) {
  let now = 1_000_000;
  const cache = new BatchAcceptCache(() => now, ttlMs, max);
  let asks = 0;
  const yes = async () => {
    asks += 1;
  };
  const no = async () => {
    asks += 1;
    throw new Error("closed");
  };
  return {
    cache,
    yes,
    no,
    asks: () => asks,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("BatchAcceptCache", () => {
  it("asks the object once, then answers from memory until the answer expires", async () => {
    const s = setup();
    const editor = caller(["editor"]);
    await s.cache.requireAccepting(BATCH, editor, s.yes);
    s.advance(1_999);
    await s.cache.requireAccepting(BATCH, editor, s.yes);
    expect(s.asks()).toBe(1);
    s.advance(1);
    await s.cache.requireAccepting(BATCH, editor, s.yes);
    expect(s.asks()).toBe(2);
  });

  it("never remembers a refusal: every ask after one goes to the object, and the refusal reaches the caller", async () => {
    const s = setup();
    const editor = caller(["editor"]);
    await expect(s.cache.requireAccepting(BATCH, editor, s.no)).rejects.toThrow("closed");
    await expect(s.cache.requireAccepting(BATCH, editor, s.no)).rejects.toThrow("closed");
    expect(s.asks()).toBe(2);
    expect(s.cache.size).toBe(0);
  });

  it("keeps one caller's answer from every other batch, project, subject, role set and project list", async () => {
    const s = setup();
    await s.cache.requireAccepting(BATCH, caller(["admin"]), s.yes);
    const others: [string, Access][] = [
      [OTHER_BATCH, caller(["admin"])],
      [BATCH, caller(["viewer"])],
      [BATCH, caller(["admin", "viewer"])],
      [BATCH, caller(["admin"], ["proj_a", "proj_b"])],
      [BATCH, caller(["admin"], ["proj_a"], "bob")],
      [BATCH, caller(["admin"], ["proj_a"], "alice", "proj_b")],
      [BATCH, { principal: { sub: "alice", roles: ["admin"], projects: ["proj_a"] } }],
    ];
    for (const [batchId, access] of others) {
      // Each of these is refused by its object: a shared answer would let it through.
      await expect(s.cache.requireAccepting(batchId, access, s.no), JSON.stringify(access)).rejects.toThrow("closed");
    }
    expect(s.asks()).toBe(1 + others.length);
    // The first caller's own answer is still there.
    await s.cache.requireAccepting(BATCH, caller(["admin"]), s.no);
    expect(s.asks()).toBe(1 + others.length);
  });

  it("holds at most its bound of answers, dropping the oldest first", async () => {
    const s = setup(2_000, 3);
    const editor = caller(["editor"]);
    const ids = [0, 1, 2, 3, 4].map((i) => `0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c2${i}`);
    for (const id of ids) await s.cache.requireAccepting(id, editor, s.yes);
    expect(s.cache.size).toBe(3);
    // The two oldest were dropped and are asked again; the three newest are remembered.
    for (const id of ids.slice(2)) await s.cache.requireAccepting(id, editor, s.no);
    await expect(s.cache.requireAccepting(ids[0]!, editor, s.no)).rejects.toThrow("closed");
    await expect(s.cache.requireAccepting(ids[1]!, editor, s.no)).rejects.toThrow("closed");
    expect(s.asks()).toBe(5 + 2);
  });

  it("sweeps expired answers as new ones come in", async () => {
    const s = setup();
    const editor = caller(["editor"]);
    await s.cache.requireAccepting(BATCH, editor, s.yes);
    s.advance(2_000);
    await s.cache.requireAccepting(OTHER_BATCH, editor, s.yes);
    expect(s.cache.size).toBe(1);
  });

  it("forgets every caller's answer about a batch, and only that batch", async () => {
    const s = setup();
    const editor = caller(["editor"]);
    const admin = caller(["admin"]);
    for (const access of [editor, admin]) {
      await s.cache.requireAccepting(BATCH, access, s.yes);
      await s.cache.requireAccepting(OTHER_BATCH, access, s.yes);
    }
    s.cache.forget(BATCH);
    await expect(s.cache.requireAccepting(BATCH, editor, s.no)).rejects.toThrow("closed");
    await expect(s.cache.requireAccepting(BATCH, admin, s.no)).rejects.toThrow("closed");
    await s.cache.requireAccepting(OTHER_BATCH, editor, s.no);
    await s.cache.requireAccepting(OTHER_BATCH, admin, s.no);
    expect(s.asks()).toBe(4 + 2);
  });

  it("does not remember a yes to an ask sent before a forget of the batch", async () => {
    const s = setup();
    const editor = caller(["editor"]);
    let answer: () => void = () => {};
    const slowYes = () => new Promise<void>((resolve) => (answer = resolve));
    const pending = s.cache.requireAccepting(BATCH, editor, slowYes);
    // The batch is closed through this isolate while the ask is on its way.
    s.cache.forget(BATCH);
    answer();
    await pending;
    await expect(s.cache.requireAccepting(BATCH, editor, s.no)).rejects.toThrow("closed");
  });
});
