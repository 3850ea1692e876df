/** Runs with RATE_LIMIT_PROJECT_PER_MINUTE=10 and RATE_LIMIT_USER_PER_HOUR=25 (vitest.config.ts). */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { dropLeases } from "../../src/http/rate-limit";
import { awayFromMinuteEdge, call, jobsPath, problem, token } from "../helpers";

describe("rate limits", () => {
  it("lets exactly 10 of 20 concurrent requests through a project limit of 10", async () => {
    await awayFromMinuteEdge();
    const t = await token({ sub: "burst", roles: ["viewer"], projects: ["proj_rl"] });
    const responses = await Promise.all(Array.from({ length: 20 }, () => call(jobsPath("proj_rl"), { token: t })));
    const ok = responses.filter((r) => r.status === 200);
    const limited = responses.filter((r) => r.status === 429);
    expect(ok).toHaveLength(10);
    expect(limited).toHaveLength(10);
    for (const r of limited) {
      const retryAfter = Number(r.headers.get("Retry-After"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(r.headers.get("RateLimit-Limit")).toBe("10");
      expect(r.headers.get("RateLimit-Remaining")).toBe("0");
      expect((await problem(r)).detail).toMatch(
        /^Rate limit exceeded: the per-minute budget of project "[^"]+" \(10 requests per minute\) is spent\. It resets in \d+ s, at \d{4}-[\d-]+T[\d:.]+Z; retry then \(`Retry-After`\), or raise RATE_LIMIT_PROJECT_PER_MINUTE\.$/,
      );
    }
    const remaining = ok.map((r) => Number(r.headers.get("RateLimit-Remaining"))).sort((a, b) => a - b);
    expect(remaining).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("charges each user per hour across projects", async () => {
    await awayFromMinuteEdge();
    const t = await token({ sub: "hourly", roles: ["viewer"], projects: ["p1", "p2", "p3"] });
    const statuses: number[] = [];
    for (const p of ["p1", "p2", "p3"]) {
      for (let i = 0; i < 9; i++) statuses.push((await call(jobsPath(p), { token: t })).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(25);
    expect(statuses.slice(25)).toEqual([429, 429]);
    const refused = await call(jobsPath("p3"), { token: t });
    expect((await problem(refused)).detail).toMatch(
      /^Rate limit exceeded: the hourly budget of user "hourly" \(25 requests per hour\) is spent\. It resets in \d+ s.*raise RATE_LIMIT_USER_PER_HOUR\.$/,
    );
  });

  it("does not let a stranger spend a project's budget", async () => {
    await awayFromMinuteEdge();
    const stranger = await token({ sub: "stranger", roles: ["viewer"], projects: ["elsewhere"] });
    for (let i = 0; i < 12; i++) expect((await call(jobsPath("proj_guarded"), { token: stranger })).status).toBe(403);
    const member = await token({ sub: "member", roles: ["viewer"], projects: ["proj_guarded"] });
    expect((await call(jobsPath("proj_guarded"), { token: member })).status).toBe(200);
  });

  it("keeps every grant when the limiter object is evicted: the window still admits only 10", async () => {
    await awayFromMinuteEdge();
    const t = await token({ sub: "evict", roles: ["viewer"], projects: ["proj_evict"] });
    for (let i = 0; i < 6; i++) expect((await call(jobsPath("proj_evict"), { token: t })).status).toBe(200);
    const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("project:proj_evict"));
    // Nothing is left to save later: each grant was written before it was handed out.
    expect(await runDurableObjectAlarm(limiter)).toBe(false);
    await evictDurableObject(limiter);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call(jobsPath("proj_evict"), { token: t })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it("loses at most a lease's unused tokens when the isolate forgets its leases, never admits more", async () => {
    await awayFromMinuteEdge();
    const t = await token({ sub: "crash", roles: ["viewer"], projects: ["proj_crash"] });
    for (let i = 0; i < 3; i++) expect((await call(jobsPath("proj_crash"), { token: t })).status).toBe(200);
    dropLeases(); // what a crashed isolate loses: the tokens it held
    await evictDurableObject(env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("project:proj_crash")));
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await call(jobsPath("proj_crash"), { token: t })).status);
    const admitted = 3 + statuses.filter((s) => s === 200).length;
    expect(admitted).toBeLessThanOrEqual(10);
    expect(admitted).toBeGreaterThanOrEqual(5); // a lease at a few requests per second holds a few tokens
    expect(statuses.slice(admitted - 3).every((s) => s === 429)).toBe(true);
  });

  it("grants exactly the limit, however many requests hammer the window", async () => {
    await awayFromMinuteEdge();
    const t = await token({ sub: "hammer", roles: ["viewer"], projects: ["proj_hammer"] });
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push((await call(jobsPath("proj_hammer"), { token: t })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    const granted = await runInDurableObject(env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("project:proj_hammer")), (_o, state) =>
      state.storage.kv.get<{ granted: number }>("window"),
    );
    expect(granted?.granted).toBe(10);
  });

  it("leaves unauthenticated routes unlimited", async () => {
    const statuses = await Promise.all(Array.from({ length: 30 }, () => call("/health")));
    expect(statuses.every((r) => r.status === 200)).toBe(true);
  });
});
