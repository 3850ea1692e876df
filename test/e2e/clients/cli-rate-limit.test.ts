/**
 * The CLI under a tiny rate limit (4 requests a minute per project, on the global setup's
 * second server): it waits as `Retry-After` says, shows it, and still finishes.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { EdgeIngest } from "../../../src/client/node";
import { rateLimitedServer, token, type E2eServer } from "../dev-server";
import { folder, runCli } from "./harness";

let server: E2eServer;
beforeAll(async () => {
  server = await rateLimitedServer();
});

describe("edge-ingest upload under a rate limit", () => {
  it("waits on 429, says for how long, and completes every file", async () => {
    const t = await token({ roles: ["editor"], projects: ["tiny"] });
    const dir = folder(Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`n${i}.md`, `# note ${i}\n\nbody ${i}`])));
    const r = await runCli(["upload", dir, "--json", "--concurrency", "2"], { EDGE_INGEST_URL: server.url, EDGE_INGEST_TOKEN: t, EDGE_INGEST_PROJECT: "tiny" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/rate limited: waiting \d+ s before retrying/);
    expect(r.lines).toHaveLength(5);
    expect(r.lines.every((l) => l.status === "COMPLETED")).toBe(true);
    const admin = new EdgeIngest({ baseUrl: server.url, token: await token({ roles: ["admin"] }), projectId: "tiny", maxRetryDelayMs: 120_000 });
    expect((await admin.jobs.list()).total).toBe(5);
  });
});
