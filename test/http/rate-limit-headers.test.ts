/**
 * `RateLimit-*` on every response of a charged request, errors included.
 * Runs in the `worker` project (budgets of 1,000,000), so nothing here is refused.
 */
import { describe, expect, it } from "vitest";
import { call, createJob, jobsPath, token } from "../helpers";

const P = "proj_headers";

function expectRateLimitHeaders(res: Response, what: string) {
  expect(res.headers.get("RateLimit-Limit"), what).toMatch(/^\d+$/);
  expect(res.headers.get("RateLimit-Remaining"), what).toMatch(/^\d+$/);
  expect(Number(res.headers.get("RateLimit-Reset")), what).toBeGreaterThanOrEqual(1);
}

function rawCreate(t: string, body: Uint8Array, headers: Record<string, string>, query = "filename=doc.txt") {
  return call(`${jobsPath(P)}?${query}`, { method: "POST", token: t, body, headers: { "Content-Length": String(body.byteLength), ...headers } });
}

describe("RateLimit-* headers", () => {
  it("are on a 200 and on the errors a route answers after charging: 400, 404, 409, 411, 413, 415", async () => {
    const t = await token({ sub: "hdr", projects: [P] });
    const text = new TextEncoder().encode("some text for a job");
    const statuses: Record<string, Response> = {
      "200 list": await call(jobsPath(P), { token: t }),
      "400 bad limit (zod, before the handler)": await call(`${jobsPath(P)}?limit=500`, { token: t }),
      "400 bad cursor": await call(`${jobsPath(P)}?cursor=nonsense`, { token: t }),
      "404 unknown job": await call(`${jobsPath(P)}/00000000-0000-7000-8000-000000000000`, { token: t }),
      "404 malformed job id": await call(`${jobsPath(P)}/not-a-uuid`, { token: t }),
      "411 no length": await call(`${jobsPath(P)}?filename=a.txt`, {
        method: "POST",
        token: t,
        body: new ReadableStream(),
        headers: { "Content-Type": "text/plain" },
      }),
      "415 binary": await rawCreate(t, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), { "Content-Type": "text/plain" }),
    };
    await rawCreate(t, text, { "Content-Type": "text/plain", "Idempotency-Key": "hdr-key" });
    statuses["409 idempotency conflict"] = await rawCreate(t, new TextEncoder().encode("another file"), {
      "Content-Type": "text/plain",
      "Idempotency-Key": "hdr-key",
    });
    statuses["413 too large"] = await call(`${jobsPath(P)}?filename=a.txt`, {
      method: "POST",
      token: t,
      body: new Uint8Array(8),
      headers: { "Content-Type": "text/plain", "Content-Length": String(10 ** 12) },
    });
    for (const [what, res] of Object.entries(statuses)) {
      expect(String(res.status), what).toBe(what.slice(0, 3));
      expectRateLimitHeaders(res, what);
    }
  });

  it("are on a 403 for a role the caller lacks, and on the compatibility routes' 404", async () => {
    const viewer = await token({ sub: "hdr-viewer", roles: ["viewer"], projects: [P] });
    const forbidden = await rawCreate(viewer, new TextEncoder().encode("x"), { "Content-Type": "text/plain" });
    expect(forbidden.status).toBe(403);
    expectRateLimitHeaders(forbidden, "403");
    const compat = await call("/api/v1/ingestion/job/00000000-0000-7000-8000-000000000000", { token: viewer });
    expect(compat.status).toBe(404);
    expectRateLimitHeaders(compat, "compat 404");
  });

  it("report the tighter budget: the project's remaining count falls by one per request", async () => {
    const t = await token({ sub: "hdr-count", projects: ["proj_headers_count"] });
    await createJob(t, "proj_headers_count");
    const a = await call(jobsPath("proj_headers_count"), { token: t });
    const b = await call(`${jobsPath("proj_headers_count")}?limit=0`, { token: t });
    expect(b.status).toBe(400);
    expect(Number(b.headers.get("RateLimit-Remaining"))).toBe(Number(a.headers.get("RateLimit-Remaining")) - 1);
  });

  it("are absent where nothing is charged: /health and a request without a token", async () => {
    expect((await call("/health")).headers.get("RateLimit-Limit")).toBeNull();
    const anonymous = await call(jobsPath(P));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("RateLimit-Limit")).toBeNull();
  });
});
