import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { cancelHarvest, downloadPaperPdf, type HarvestState, harvestStep, newHarvest, type PaperItem } from "../../src/arxiv/harvest-step";
import { controlFake, fakeRequests, gate, resetFake } from "./fake";

beforeEach(async () => {
  await resetFake();
  await runInDurableObject(gate(), (_, state) => state.storage.kv.delete("pacing"));
});

/** Runs a harvest to its end as a batch would: every step's state kept, waits honoured. */
async function harvest(batchId: string, projectId: string, request: Partial<HarvestState["request"]>) {
  let state = newHarvest({ maxResults: 2000, processPdfs: true, ...request });
  const items: PaperItem[] = [];
  const missing: string[] = [];
  for (let steps = 0; !state.cursor.done && steps < 50; steps++) {
    const step = await harvestStep(env, batchId, projectId, state);
    if (step.kind === "cancelled") return { state, items, missing, cancelled: true };
    state = step.state;
    if (step.kind === "wait") await new Promise((r) => setTimeout(r, Math.max(0, step.retryAt - Date.now())));
    else {
      items.push(...step.items);
      missing.push(...step.missing);
    }
  }
  return { state, items, missing, cancelled: false };
}

const starts = async () => (await fakeRequests()).filter((r) => r.path === "/api/query").map((r) => Number(new URLSearchParams(r.search).get("start")));

describe("harvestStep: paging", () => {
  it("reads a query of three pages: start 0, n, 2n as received, papers_fetched = entries served", async () => {
    await controlFake({ total: 250 });
    const { state, items } = await harvest("batch-paging", "harvest-paging", { query: "cat:cs.IR" });
    expect(await starts()).toEqual([0, 100, 200]);
    expect(state.stats).toMatchObject({ papers_fetched: 250, papers_created: 250, papers_updated: 0, papers_unchanged: 0, pages: 3 });
    expect(state.cursor).toMatchObject({ done: true, error: null, start: 250, total: 250, canonicalQuery: expect.stringContaining("search_query=cat:cs.IR") });
    expect(items).toHaveLength(250);
    expect(items.some((i) => i.versionedId.startsWith("solv-int/"))).toBe(true);
  });

  it("advances by the entries actually served when a page comes back short", async () => {
    await controlFake({ total: 150, pageLimit: 60 });
    const { state } = await harvest("batch-short", "harvest-short", { query: "q" });
    expect(await starts()).toEqual([0, 60, 120]);
    expect(state.stats.papers_fetched).toBe(150);
  });

  it("asks an empty page mid-way again, then goes on when it is served", async () => {
    await controlFake({ total: 250, faults: [{ on: "api", fault: "empty", start: 100, times: 2 }] });
    const { state } = await harvest("batch-empty", "harvest-empty", { query: "q" });
    expect(await starts()).toEqual([0, 100, 100, 100, 200]);
    expect(state.stats.papers_fetched).toBe(250);
    expect(state.cursor.error).toBeNull();
  });

  it("retries a 503 honouring Retry-After, then goes on", async () => {
    await controlFake({ total: 120, faults: [{ on: "api", fault: "503", retryAfter: 1, start: 100, times: 1 }] });
    const { state } = await harvest("batch-503", "harvest-503", { query: "q" });
    expect(await starts()).toEqual([0, 100, 100]);
    expect(state.stats.papers_fetched).toBe(120);
  });
});

describe("harvestStep: versions", () => {
  it("counts a second harvest: unchanged, a new version (to download), a metadata change (no download)", async () => {
    await controlFake({ total: 40 });
    await harvest("batch-v1", "harvest-versions", { query: "q" });
    const bumped = "2501.10001";
    const retitled = "2501.10002";
    await controlFake({ bump: [bumped], retitle: { [retitled]: "A retitled paper" } });
    const { state, items } = await harvest("batch-v2", "harvest-versions", { query: "q" });
    expect(state.stats).toMatchObject({ papers_fetched: 40, papers_created: 0, papers_updated: 2, papers_unchanged: 38 });
    expect(items.map((i) => i.versionedId)).toEqual([`${bumped}v2`]);
  });
});

describe("harvestStep: id lists and errors", () => {
  it("reports an id arXiv does not have as missing, and round-trips an old-style id", async () => {
    const { state, items, missing } = await harvest("batch-ids", "harvest-ids", { idList: ["2104.12255v1", "hep-ex/0406020v1", "0000.0000"] });
    expect(missing).toEqual(["0000.0000"]);
    expect(items.map((i) => i.versionedId).sort()).toEqual(["2104.12255v1", "hep-ex/0406020v1"]);
    expect(items.find((i) => i.paperId === "hep-ex/0406020")).toMatchObject({ absUrl: "https://arxiv.org/abs/hep-ex/0406020v1" });
    expect(state.stats.papers_fetched).toBe(2);
  });

  it("ends with arXiv's own message for an error feed (HTTP 400), fatal", async () => {
    const { state } = await harvest("batch-bad", "harvest-bad", { idList: ["abc"] });
    expect(state.cursor).toMatchObject({ done: true, error: { code: "ARXIV_REFUSED", message: "incorrect id format for abc", fatal: true } });
  });

  it("records nothing to download when processPdfs is false", async () => {
    await controlFake({ total: 15 });
    const { items, state } = await harvest("batch-nopdf", "harvest-nopdf", { query: "q", processPdfs: false });
    expect(items).toEqual([]);
    expect(state.stats.papers_created).toBe(15);
  });

  it("stops a cancelled harvest's queued requests at the gate", async () => {
    await controlFake({ total: 300, faults: [{ on: "api", fault: "slow", delayMs: 500, times: 1 }] });
    const other = harvestStep(env, "batch-other", "harvest-cancel-other", newHarvest({ query: "other", maxResults: 10, processPdfs: false }));
    const running = harvest("batch-cancel", "harvest-cancel", { query: "q" });
    await new Promise((r) => setTimeout(r, 200));
    await cancelHarvest(env, "batch-cancel");
    expect((await running).cancelled).toBe(true);
    await other;
    expect((await fakeRequests()).map((r) => new URLSearchParams(r.search).get("search_query"))).toEqual(["other"]);
  });
});

describe("downloadPaperPdf", () => {
  it("stores the PDF at the item's key, and fails an HTML answer with UNSUPPORTED_TYPE", async () => {
    expect(await downloadPaperPdf(env, "batch-pdf", "2104.12255v1", "test/arxiv/item.pdf")).toMatchObject({ kind: "stored", key: "test/arxiv/item.pdf" });
    await controlFake({ faults: [{ on: "pdf", fault: "html", times: 1 }] });
    expect(await downloadPaperPdf(env, "batch-pdf", "2104.12255v1", "test/arxiv/item2.pdf")).toMatchObject({ kind: "failed", code: "UNSUPPORTED_TYPE" });
  });
});
