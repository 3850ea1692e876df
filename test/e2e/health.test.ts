import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, token, type TestServer } from "./dev-server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe("wrangler dev (e2e harness)", () => {
  it("serves /health without a token", async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("answers an /api route without a token with 401 and a problem", async () => {
    const res = await fetch(`${server.url}/api/projects/demo/ingest/jobs`);
    expect(res.status).toBe(401);
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  });

  it("lists an empty project for a member", async () => {
    const t = await token({ roles: ["viewer"], projects: ["demo"] });
    const res = await fetch(`${server.url}/api/projects/demo/ingest/jobs`, { headers: { Authorization: `Bearer ${t}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ items: [], total: 0 });
  });
});
