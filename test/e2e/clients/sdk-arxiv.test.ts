/**
 * The SDK's `client.arxiv` against a real `wrangler dev` whose arXiv gate talks to the
 * fake arXiv on 127.0.0.1 (global-setup.ts). Other files harvest through the same fake at
 * the same time: this one asks only for its own generated papers and never resets it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type BatchItem, EdgeIngest, EdgeIngestError, harvestStats } from "../../../src/client/node";
import { fakeArxivUrl, type E2eServer } from "../dev-server";
import { clientsServer } from "./harness";

let server: E2eServer;
let adminToken: string;
const client = (projectId: string) => new EdgeIngest({ baseUrl: server.url, token: adminToken, projectId });

/** A paper of the fake's corpus as it serves it now: `{versionedId, title}`. */
async function fakePaper(id: string): Promise<{ versionedId: string; title: string }> {
  return (await fetch(`${fakeArxivUrl()}/__paper?id=${encodeURIComponent(id)}`)).json();
}

beforeAll(async () => {
  ({ server, adminToken } = await clientsServer());
});

describe("client.arxiv", () => {
  it("harvest() returns the arxiv batch; it ends with counters that match the seed's shape and items with titles and abstract pages", async () => {
    const api = client("sdk-arxiv");
    const found = ["2501.10100", "2501.10101", "hep-ex/0400107"];
    const missing = "2501.99991";
    const batch = await api.arxiv.harvest({ idList: [...found, missing], options: { chunkSize: 800 } });
    expect(batch).toMatchObject({
      kind: "arxiv",
      projectId: "sdk-arxiv",
      options: { chunkSize: 800 },
      source: { idList: [...found, missing], processPdfs: true },
    });

    const done = await api.batches.wait(batch.id);
    expect(done.status).toBe("COMPLETED");
    const stats = harvestStats(done);
    expect(stats).toMatchObject({
      papers_fetched: 3,
      papers_created: 3,
      papers_updated: 0,
      papers_unchanged: 0,
      pdfs_downloaded: 3,
      pdfs_processed: 3,
      pages: 1,
    });
    expect(done.counts).toMatchObject({ total: 4, completed: 3, failed: 1 });

    const seed = await api.arxiv.get(batch.id);
    expect(seed).toMatchObject({ job_id: batch.id, status: "completed" });
    expect(seed.progress).toMatchObject({
      papers_fetched: stats.papers_fetched,
      papers_created: stats.papers_created,
      papers_updated: stats.papers_updated,
      pdfs_downloaded: stats.pdfs_downloaded,
      pdfs_processed: stats.pdfs_processed,
    });

    const items: BatchItem[] = [];
    for await (const item of api.batches.items(batch.id)) items.push(item);
    for (const id of found) {
      const paper = await fakePaper(id);
      const item = items.find((i) => i.source === paper.versionedId);
      expect(item, paper.versionedId).toMatchObject({ status: "COMPLETED", title: paper.title });
      expect(item!.sourceUrl).toMatch(new RegExp(`^https?://arxiv\\.org/abs/${paper.versionedId.replace(/[./]/g, "\\$&")}$`));
    }
    expect(items.find((i) => i.source === missing)).toMatchObject({ status: "FAILED", title: null, error: { code: "not_found" } });
  });

  it("harvest() without the PDFs records the papers and creates no items", async () => {
    const api = client("sdk-arxiv-nopdf");
    const batch = await api.arxiv.harvest({ idList: ["2501.10102"], processPdfs: false });
    const done = await api.batches.wait(batch.id);
    expect(done.status).toBe("COMPLETED");
    expect(harvestStats(done)).toMatchObject({ papers_fetched: 1, papers_created: 1, pdfs_downloaded: 0, pdfs_processed: 0 });
    expect(done.counts.total).toBe(0);
  });

  it("gate() tells how long until the next arXiv request", async () => {
    const gate = await client("sdk-arxiv").arxiv.gate();
    expect(gate.nextRequestInMs).toBeGreaterThanOrEqual(0);
    expect(gate.pausedForMs).toBeGreaterThanOrEqual(0);
    expect(gate.queued).toBeGreaterThanOrEqual(0);
  });

  it("harvest() with neither query nor idList is refused with the service's reason", async () => {
    const err = await client("sdk-arxiv")
      .arxiv.harvest({})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgeIngestError);
    expect(err).toMatchObject({ status: 400, detail: "An arxiv batch needs query, idList or both" });
  });
});
