import { describe, expect, it } from "vitest";
import { authorize, type Role } from "../../src/auth/policy";
import { afterAttempt, DEFAULT_RETRY_DELAYS_MS, describeFailure, subscribes } from "../../src/webhooks/retry-policy";

describe("afterAttempt (DESIGN §9 backoff: 5 s, 1 min, 10 min, 1 h, 6 h, then failed)", () => {
  const failed = { kind: "response", status: 500 } as const;

  it("succeeds on any 2xx and on nothing else", () => {
    for (const status of [200, 201, 204, 299]) expect(afterAttempt({ kind: "response", status }, 1, 0, DEFAULT_RETRY_DELAYS_MS).status).toBe("succeeded");
    for (const status of [199, 301, 304, 400, 410, 500])
      expect(afterAttempt({ kind: "response", status }, 1, 0, DEFAULT_RETRY_DELAYS_MS).status).toBe("pending");
  });

  it("waits the schedule's delay after each failed try, and fails after the sixth", () => {
    const waits = [1, 2, 3, 4, 5].map((n) => {
      const s = afterAttempt(failed, n, 1000, DEFAULT_RETRY_DELAYS_MS);
      return s.status === "pending" ? s.nextAttemptAt - 1000 : null;
    });
    expect(waits).toEqual([5_000, 60_000, 600_000, 3_600_000, 21_600_000]);
    expect(afterAttempt(failed, 6, 1000, DEFAULT_RETRY_DELAYS_MS)).toEqual({ status: "failed", nextAttemptAt: null });
    expect(afterAttempt({ kind: "timeout" }, 6, 0, DEFAULT_RETRY_DELAYS_MS).status).toBe("failed");
  });

  it("describes each failure for the log", () => {
    expect(describeFailure(failed, 10_000)).toBe("receiver answered HTTP 500");
    expect(describeFailure({ kind: "timeout" }, 10_000)).toBe("no response within 10 s");
    expect(describeFailure({ kind: "network", message: "connection refused" }, 10_000)).toBe("request failed: connection refused");
    expect(describeFailure({ kind: "response", status: 204 }, 10_000)).toBeNull();
  });
});

describe("subscribes", () => {
  it("matches listed types, and every type for *", () => {
    expect(subscribes(["job.completed"], "job.completed")).toBe(true);
    expect(subscribes(["job.completed"], "job.failed")).toBe(false);
    expect(subscribes(["*"], "job.progress")).toBe(true);
  });
});

describe("webhook rows of the DESIGN §2 table", () => {
  const want: Record<Role, [string, string]> = {
    viewer: ["forbidden", "forbidden"],
    editor: ["allow", "forbidden"],
    dispatcher: ["allow", "forbidden"],
    admin: ["allow", "allow"],
  };
  for (const [role, [read, manage]] of Object.entries(want) as [Role, [string, string]][]) {
    it(`${role}: read webhooks ${read}, manage webhooks ${manage}`, () => {
      const p = { sub: "me", roles: [role], projects: ["p1"] };
      expect(authorize(p, "readWebhooks", { projectId: "p1" })).toBe(read);
      expect(authorize(p, "manageWebhooks", { projectId: "p1" })).toBe(manage);
      expect(authorize(p, "readWebhooks", { projectId: "p2" })).toBe(role === "admin" ? "allow" : "hidden");
    });
  }
});
