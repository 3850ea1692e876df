/** The CLI under a tiny rate limit: it waits as `Retry-After` says, shows it, and still finishes. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EdgeIngest } from "../../../src/client/node";
import { token, type TestServer } from "../dev-server";
import { startClientsServer, folder, runCli } from "./harness";

let server: TestServer;
beforeAll(async () => {
  ({ server } = await startClientsServer({ RATE_LIMIT_PROJECT_PER_MINUTE: "4" }));
});
afterAll(async () => {
  await server?.close();
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
