import { beforeAll, describe, expect, it } from "vitest";
import { sharedServer, token, type E2eServer } from "./dev-server";

const P = "e2e-health";
let server: E2eServer;
beforeAll(async () => {
  server = await sharedServer();
});

describe("wrangler dev (e2e harness)", () => {
  it("serves /health without a token", async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("answers an /api route without a token with 401 and a problem", async () => {
    const res = await fetch(`${server.url}/api/projects/${P}/ingest/jobs`);
    expect(res.status).toBe(401);
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  });

  it("lists an empty project for a member", async () => {
    const t = await token({ roles: ["viewer"], projects: [P] });
    const res = await fetch(`${server.url}/api/projects/${P}/ingest/jobs`, { headers: { Authorization: `Bearer ${t}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ items: [], total: 0 });
  });
});
