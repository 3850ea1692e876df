/**
 * An arXiv harvest against a real `wrangler dev` and the fake arXiv on 127.0.0.1: the
 * service's own gate fetches the page and the PDF over the network.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type E2eServer, fakeArxivUrl, sharedServer, token } from "./dev-server";

const P = "e2e-arxiv";
let server: E2eServer;
let fake: { url: string };
let t: string;

beforeAll(async () => {
  server = await sharedServer();
  // The shared server's ARXIV_* vars point at this fake (global-setup.ts); only this file uses it.
  fake = { url: fakeArxivUrl() };
  await fetch(`${fake.url}/__reset`, { method: "POST" });
  t = await token({ sub: "e2e", roles: ["editor"], projects: [P] });
});

describe("arXiv harvest through wrangler dev (e2e)", () => {
  it("fetches the page and the PDF from the fake arXiv through the service's gate", async () => {
    const res = await fetch(`${server.url}/api/projects/${P}/ingest/batches`, {
      method: "POST",
      headers: { Authorization: `Bearer ${t}`, "Content-Type": "application/json" },
      body: JSON.stringify({ kind: "arxiv", idList: ["2104.12255v1"] }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    let batch: { status: string; stats: Record<string, unknown> } = { status: "QUEUED", stats: {} };
    for (let i = 0; i < 300 && !["COMPLETED", "FAILED", "CANCELLED"].includes(batch.status); i++) {
      await new Promise((r) => setTimeout(r, 200));
      batch = await (await fetch(`${server.url}/api/projects/${P}/ingest/batches/${id}`, { headers: { Authorization: `Bearer ${t}` } })).json();
    }
    expect(batch).toMatchObject({ status: "COMPLETED", stats: { papers_fetched: 1, papers_created: 1, pdfs_downloaded: 1, pdfs_processed: 1 } });
    const requests = (await (await fetch(`${fake.url}/__requests`)).json()) as { path: string; search: string; userAgent: string }[];
    expect(requests.map((r) => r.path)).toEqual(["/api/query", "/pdf/2104.12255v1"]);
    expect(new URLSearchParams(requests[0]!.search).get("id_list")).toBe("2104.12255v1");
    expect(requests[0]!.userAgent).toMatch(/^edge-ingest\/0\.1 \(arXiv harvester/);
  });
});
