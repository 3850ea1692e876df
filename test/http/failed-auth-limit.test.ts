import { describe, expect, it } from "vitest";
import { awayFromMinuteEdge, call, problem, token } from "../helpers";

/** RATE_LIMIT_FAILED_AUTH_PER_MINUTE is 20 in this test project. */
const LIMIT = 20;
/** A project and user no other file of this test project spends the budgets of (they share one Miniflare). */
const P = "proj_failed_auth";
const from = (ip: string, headers: Record<string, string> = {}) => ({ "CF-Connecting-IP": ip, ...headers });

describe("failed authentication budget per client address", () => {
  it(`answers 401 to the first ${LIMIT} bad tokens from one address, then 429 naming the limit, with Retry-After`, async () => {
    await awayFromMinuteEdge();
    const statuses = [];
    for (let i = 0; i < LIMIT + 5; i++) {
      const res = await call(`/api/projects/${P}/ingest/jobs`, { headers: from("203.0.113.7", { Authorization: `Bearer not-a-token-${i}` }) });
      statuses.push(res.status);
      if (res.status === 429) {
        const p = await problem(res);
        expect(p.detail).toMatch(new RegExp(`^Too many failed authentications from this address \\(limit ${LIMIT} per minute\\): retry after \\d+ s`));
        expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
      }
    }
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
    expect(statuses.slice(LIMIT)).toEqual(Array(5).fill(429));
  });

  it("counts requests without a token too, and leaves other addresses and valid tokens alone", async () => {
    const ip = "203.0.113.8";
    await awayFromMinuteEdge();
    const concurrent = await Promise.all(Array.from({ length: LIMIT + 10 }, () => call(`/api/projects/${P}/ingest/jobs`, { headers: from(ip) })));
    const counts = concurrent.reduce<Record<number, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});
    expect(counts).toEqual({ 401: LIMIT, 429: 10 });
    expect((await call(`/api/projects/${P}/ingest/jobs`, { headers: from("203.0.113.9") })).status).toBe(401);
    const t = await token({ sub: "failed-auth-valid", projects: [P] });
    expect((await call(`/api/projects/${P}/ingest/jobs`, { token: t, headers: from(ip) })).status).toBe(200);
  });
});
