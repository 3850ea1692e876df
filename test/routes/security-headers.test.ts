import { describe, expect, it } from "vitest";
import { API_CSP, PAGE_CSP } from "../../src/http/security-policy";
import { call, token } from "../helpers";

function expectCommon(res: Response, path: string) {
  expect(res.headers.get("X-Content-Type-Options"), path).toBe("nosniff");
  expect(res.headers.get("X-Frame-Options"), path).toBe("DENY");
  expect(res.headers.get("Referrer-Policy"), path).toBe("no-referrer");
}

describe("security headers on the Worker's responses", () => {
  it("sends the page policy (frame-ancestors 'none') on /docs", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expectCommon(res, "/docs");
    expect(res.headers.get("Content-Security-Policy")).toBe(PAGE_CSP);
    expect(PAGE_CSP).toContain("frame-ancestors 'none'");
  });

  it("sends the API policy on JSON, problems and errors, authenticated or not", async () => {
    const t = await token({ projects: ["proj_headers"] });
    for (const [path, auth] of [
      ["/openapi.json", undefined],
      ["/health", undefined],
      ["/api/projects/proj_headers/ingest/jobs", t],
      ["/api/projects/proj_headers/ingest/jobs", undefined],
      ["/api/nothing-here", t],
    ] as const) {
      const res = await call(path, { token: auth });
      expectCommon(res, path);
      expect(res.headers.get("Content-Security-Policy"), path).toBe(API_CSP);
    }
  });
});
