import { describe, expect, it } from "vitest";
import { backoffDelay, listedDelay } from "../src/backoff";

describe("backoffDelay", () => {
  it("doubles from the initial delay up to the cap", () => {
    const policy = { initialMs: 500, maxMs: 30_000 };
    expect([0, 1, 2, 3, 6, 7, 60].map((n) => backoffDelay(policy, n))).toEqual([500, 1_000, 2_000, 4_000, 30_000, 30_000, 30_000]);
  });

  it("keeps full jitter within [0, delay] and equal jitter within [delay/2, delay]", () => {
    const policy = { initialMs: 250, maxMs: 10_000 };
    expect(backoffDelay({ ...policy, jitter: "full" }, 2, () => 0)).toBe(0);
    expect(backoffDelay({ ...policy, jitter: "full" }, 2, () => 0.999_999)).toBe(1_000);
    expect(backoffDelay({ ...policy, jitter: "equal" }, 2, () => 0)).toBe(500);
    expect(backoffDelay({ ...policy, jitter: "equal" }, 2, () => 0.999_999)).toBe(1_000);
  });
});

describe("listedDelay", () => {
  it("gives the listed wait per retry, then null", () => {
    expect([0, 1, 2].map((n) => listedDelay([5, 60], n))).toEqual([5, 60, null]);
  });
});
