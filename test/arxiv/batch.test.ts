import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { getPaper } from "../../src/arxiv/papers";
import { projectDb } from "../../src/db/shards";
import { sourceKey } from "../../src/storage-keys";
import { beforeEach, describe, expect, it } from "vitest";
import type { Batch } from "../../src/batches/lifecycle";
import { call, problem, token } from "../helpers";
import { batchStub } from "../../src/routes/batches";
import { controlFake, type FakeRequest, fakeRequests, gate, INTERVAL_MS, resetFake } from "./fake";

/** Each test harvests into its own project, so papers recorded by one are new to the next. */
let PROJECT = "";
let base = "";
let t: string;
let n = 0;

beforeEach(async () => {
  await resetFake();
  await runInDurableObject(gate(), (_, state) => state.storage.kv.delete("pacing"));
  PROJECT = `arxiv-batches-${++n}`;
  base = `/api/projects/${PROJECT}/ingest/batches`;
  t = await token({ roles: ["editor", "dispatcher"], projects: [PROJECT] });
});

async function create(body: Record<string, unknown>): Promise<Response> {
  return call(base, { method: "POST", token: t, body: JSON.stringify({ kind: "arxiv", ...body }), headers: { "Content-Type": "application/json" } });
}

async function get(id: string): Promise<Batch> {
  return (await call(`${base}/${id}`, { token: t })).json();
}

/** Polls the batch until it ends (alarms run by themselves in this project). */
async function settled(id: string, timeoutMs = 90_000): Promise<Batch> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await get(id);
    if (["COMPLETED", "FAILED", "CANCELLED"].includes(batch.status)) return batch;
    if (Date.now() > deadline) throw new Error(`batch still ${batch.status}: ${JSON.stringify(batch)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function items(id: string): Promise<{ status: string; source: string; jobId: string | null; error: { code: string } | null }[]> {
  const page = (await (await call(`${base}/${id}/items?limit=100`, { token: t })).json()) as { items: Awaited<ReturnType<typeof items>> };
  return page.items;
}

describe("POST /batches {kind: arxiv}", () => {
  it("harvests a query: papers recorded, PDFs downloaded and processed as items, counters in stats", async () => {
    await controlFake({ total: 12 });
    const res = await create({ query: "testing", maxResults: 50 });
    expect(res.status).toBe(201);
    const created = (await res.json()) as Batch;
    expect(created).toMatchObject({ kind: "arxiv", open: true, source: { query: "testing", maxResults: 50, processPdfs: true } });
    const batch = await settled(created.id);
    expect(batch.status).toBe("COMPLETED");
    expect(batch.stats).toMatchObject({
      papers_fetched: 12,
      papers_created: 12,
      papers_updated: 0,
      papers_unchanged: 0,
      pdfs_downloaded: 12,
      pdfs_processed: 12,
      canonical_query: expect.stringContaining("search_query=all:testing"),
    });
    expect(batch.counts).toMatchObject({ total: 12, completed: 12, failed: 0 });
    const list = await items(created.id);
    expect(list.map((i) => i.source)).toContain("2202.12139v1");
    const job = await (await call(`/api/projects/${PROJECT}/ingest/jobs/${list[0]!.jobId}`, { token: t })).json();
    expect(job).toMatchObject({
      sourceId: list[0]!.source,
      sourcePath: `https://arxiv.org/abs/${list[0]!.source}`,
      mimeType: "application/pdf",
      batchId: created.id,
    });

    // A second harvest of the same query: nothing new, nothing downloaded.
    const again = await settled(((await (await create({ query: "testing", maxResults: 50 })).json()) as Batch).id);
    expect(again).toMatchObject({ status: "COMPLETED", counts: { total: 0 } });
    expect(again.stats).toMatchObject({ papers_fetched: 12, papers_unchanged: 12, papers_created: 0, pdfs_downloaded: 0 });
  });

  it("pages by the entries received (start 0, n, 2n as arXiv served them) and asks an empty page mid-way again", async () => {
    await controlFake({ total: 15, pageLimit: 5, faults: [{ on: "api", fault: "empty", start: 5, times: 1 }] });
    const batch = await settled(((await (await create({ query: "cat:cs.IR", processPdfs: false })).json()) as Batch).id);
    expect(batch).toMatchObject({ status: "COMPLETED", stats: { papers_fetched: 15, papers_created: 15, pages: 3 }, errors: [] });
    const starts = (await fakeRequests()).filter((r) => r.path === "/api/query").map((r) => Number(new URLSearchParams(r.search).get("start")));
    expect(starts).toEqual([0, 5, 5, 10]);
  });

  it("processes a new version: the paper points at the new document, the old one is deleted, no PDF is kept", async () => {
    await controlFake({ total: 3 });
    const first = await settled(((await (await create({ query: "q" })).json()) as Batch).id);
    expect(first.stats).toMatchObject({ papers_created: 3, pdfs_processed: 3 });
    const paperId = "2202.12139";
    const oldItem = (await items(first.id)).find((i) => i.source.startsWith(paperId))!;
    const oldJob = (await (await call(`/api/projects/${PROJECT}/ingest/jobs/${oldItem.jobId}`, { token: t })).json()) as { canonicalDocumentId: string };
    // One paper gets a new version, another only a new title.
    const retitled = "2405.13786";
    await controlFake({ bump: [paperId], retitle: { [retitled]: "A retitled paper" } });
    const pdfsBefore = (await fakeRequests()).filter((r) => r.path.startsWith("/pdf/")).length;
    const second = await settled(((await (await create({ query: "q" })).json()) as Batch).id);
    expect(second.stats).toMatchObject({ papers_fetched: 3, papers_updated: 2, papers_unchanged: 1, pdfs_downloaded: 1, pdfs_processed: 1 });
    expect((await fakeRequests()).filter((r) => r.path.startsWith("/pdf/")).map((r) => r.path)).toHaveLength(pdfsBefore + 1);
    expect(await getPaper(projectDb(env, PROJECT), PROJECT, retitled)).toMatchObject({ version: 1, title: "A retitled paper" });
    const [newItem] = await items(second.id);
    expect(newItem).toMatchObject({ source: `${paperId}v2`, status: "COMPLETED" });
    const newJob = (await (await call(`/api/projects/${PROJECT}/ingest/jobs/${newItem!.jobId}`, { token: t })).json()) as { canonicalDocumentId: string };
    // The link runs just after the item ends: wait for the old document to go.
    for (let i = 0; i < 50; i++) {
      if ((await call(`/api/projects/${PROJECT}/documents/${oldJob.canonicalDocumentId}`, { token: t })).status === 404) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await call(`/api/projects/${PROJECT}/documents/${oldJob.canonicalDocumentId}`, { token: t })).status).toBe(404);
    expect((await call(`/api/projects/${PROJECT}/documents/${newJob.canonicalDocumentId}`, { token: t })).status).toBe(200);
    const paper = await getPaper(projectDb(env, PROJECT), PROJECT, paperId);
    expect(paper).toMatchObject({ version: 2, document_id: newJob.canonicalDocumentId });
    expect(await env.BUCKET.head(sourceKey({ projectId: PROJECT, id: newItem!.jobId! }))).toBeNull();
  });

  it("reports a missing id as a not_found item and fails only the item whose PDF link returns HTML", async () => {
    await controlFake({ faults: [{ on: "pdf", fault: "html", id: "hep-ex/0406020v1", times: 1 }] });
    const created = (await (await create({ idList: ["2104.12255v1", "hep-ex/0406020v1", "0000.0000"] })).json()) as Batch;
    const batch = await settled(created.id);
    expect(batch).toMatchObject({ status: "COMPLETED", counts: { total: 3, completed: 1, failed: 2 } });
    const list = await items(created.id);
    expect(list.find((i) => i.source === "0000.0000")).toMatchObject({ status: "FAILED", error: { code: "not_found" } });
    expect(list.find((i) => i.source === "hep-ex/0406020v1")).toMatchObject({ status: "FAILED", error: { code: "UNSUPPORTED_TYPE" } });
  });

  it("retries a PDF download told to wait (503 with Retry-After: 5, then 429) when the gate allows, not on the batch's backoff", async () => {
    await controlFake({
      faults: [
        { on: "pdf", fault: "503", retryAfter: 5, id: "2104.12255v1", times: 1 },
        { on: "pdf", fault: "429", id: "2104.12255v1", times: 1 },
      ],
    });
    const created = (await (await create({ idList: ["2104.12255v1"] })).json()) as Batch;
    let refused: FakeRequest | undefined;
    while (!refused) {
      await new Promise((r) => setTimeout(r, 100));
      refused = (await fakeRequests()).find((r) => r.path === "/pdf/2104.12255v1");
    }
    // Half way through the pause: nothing of the batch waits at the gate, and the batch's
    // next dispatch is the gate's next allowed start, with no failed run behind it.
    await new Promise((r) => setTimeout(r, Math.max(0, refused.at + 2500 - Date.now())));
    const status = await gate().status();
    expect(status.pausedUntil).toBeGreaterThan(status.now);
    expect(status).toMatchObject({ holder: null, waiting: {} });
    const dispatch = await runInDurableObject(batchStub(env, created.id), (_, state) =>
      state.storage.sql.exec<{ due: number; attempts: number }>("SELECT due, attempts FROM work WHERE kind = 'dispatch'").one(),
    );
    expect(dispatch).toEqual({ due: status.nextRequestAt, attempts: 0 });

    const batch = await settled(created.id);
    expect(batch).toMatchObject({ status: "COMPLETED", counts: { total: 1, completed: 1 }, stats: { pdfs_downloaded: 1, pdfs_processed: 1 } });
    const asked = (await fakeRequests()).filter((r) => r.path === "/pdf/2104.12255v1");
    expect(asked).toHaveLength(3);
    expect(asked[1]!.at - asked[0]!.at).toBeGreaterThanOrEqual(5000);
    expect(asked[2]!.at - asked[1]!.at).toBeGreaterThanOrEqual(INTERVAL_MS);
  });

  it("round-trips an old-style id whose archive holds a v, and refuses a PDF over the limit while streaming (that item only)", async () => {
    await controlFake({ faults: [{ on: "pdf", fault: "huge", bytes: 13 * 1024 * 1024, id: "2104.12255v1", times: 1 }] });
    const created = (await (await create({ idList: ["solv-int/9901001v1", "2104.12255v1"] })).json()) as Batch;
    const batch = await settled(created.id);
    expect(batch).toMatchObject({ status: "COMPLETED", counts: { total: 2, completed: 1, failed: 1 }, stats: { pdfs_downloaded: 1, pdfs_processed: 1 } });
    const list = await items(created.id);
    expect(list.find((i) => i.source === "2104.12255v1")).toMatchObject({ status: "FAILED", error: { code: "LIMIT_EXCEEDED" } });
    const old = list.find((i) => i.source === "solv-int/9901001v1")!;
    expect(old.status).toBe("COMPLETED");
    const job = await (await call(`/api/projects/${PROJECT}/ingest/jobs/${old.jobId}`, { token: t })).json();
    expect(job).toMatchObject({ sourceId: "solv-int/9901001v1", sourcePath: "https://arxiv.org/abs/solv-int/9901001v1" });
    expect(await getPaper(projectDb(env, PROJECT), PROJECT, "solv-int/9901001")).toMatchObject({ version: 1 });
  });

  it("fails the batch with arXiv's own message when it answers an error feed (HTTP 400)", async () => {
    await controlFake({ faults: [{ on: "api", fault: "error", message: "start must be non-negative", times: 1 }] });
    const batch = await settled(((await (await create({ query: "q", maxResults: 5 })).json()) as Batch).id);
    expect(batch).toMatchObject({ status: "FAILED", counts: { total: 0 } });
    expect(batch.errors[0]).toMatchObject({ code: "BATCH_FAILED", message: "start must be non-negative" });
    expect(await fakeRequests()).toHaveLength(1);
  });

  it("fails the batch when arXiv stays unavailable", async () => {
    await controlFake({ faults: [{ on: "api", fault: "503", times: 10 }] });
    const batch = await settled(((await (await create({ query: "q", maxResults: 5 })).json()) as Batch).id);
    expect(batch.status).toBe("FAILED");
    expect(batch.errors[0]).toMatchObject({ code: "BATCH_FAILED", message: expect.stringContaining("arXiv stayed unavailable after 5 tries") });
  });

  it("returns 400 for a malformed id, no query or id list, and maxResults over the limit", async () => {
    expect(await problem(await create({ idList: ["abc"] }))).toMatchObject({ status: 400, detail: expect.stringContaining('"abc" is not an arXiv id') });
    expect(await problem(await create({}))).toMatchObject({ status: 400, detail: "An arxiv batch needs query, idList or both" });
    expect((await create({ query: "q", maxResults: 5000 })).status).toBe(400);
    expect(await fakeRequests()).toHaveLength(0);
  });

  it("stops the harvest's requests at once when the batch is cancelled", async () => {
    await controlFake({ total: 400, pageLimit: 5, faults: [{ on: "api", fault: "slow", delayMs: 400, times: 1 }] });
    const created = (await (await create({ query: "q", maxResults: 400, processPdfs: false })).json()) as Batch;
    await new Promise((r) => setTimeout(r, 600));
    const cancelled = await call(`${base}/${created.id}/cancel`, { method: "POST", token: t });
    expect(cancelled.status).toBe(200);
    const asked = (await fakeRequests()).length;
    await new Promise((r) => setTimeout(r, 1000));
    expect((await fakeRequests()).length).toBeLessThanOrEqual(asked + 1);
    expect((await get(created.id)).status).toBe("CANCELLED");
  });
});

describe("POST /api/v1/ingestion/arxiv (seed twin)", () => {
  it("starts a harvest and reports it in the seed's shape while it runs, counters growing, and when it ends", async () => {
    // Pages of 2: the counters move page by page, at the gate's interval.
    await controlFake({ total: 6, pageLimit: 2 });
    const res = await call("/api/v1/ingestion/arxiv", {
      method: "POST",
      token: t,
      body: JSON.stringify({ project_id: PROJECT, query: "cat:cs.IR", max_results: 6 }),
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(201);
    const started = (await res.json()) as { job_id: string; status: string };
    expect(res.headers.get("Location")).toBe(`/api/v1/ingestion/job/${started.job_id}`);
    expect(["pending", "running"]).toContain(started.status);
    type Seed = { status: string; progress: Record<string, number> };
    const seen: Seed[] = [];
    for (;;) {
      const now = (await (await call(`/api/v1/ingestion/job/${started.job_id}`, { token: t })).json()) as Seed;
      seen.push(now);
      if (["completed", "failed", "cancelled"].includes(now.status)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const fetched = seen.map((s) => s.progress.papers_fetched!);
    // Never backwards, and seen part way while the harvest ran.
    expect(fetched).toEqual([...fetched].sort((a, b) => a - b));
    expect(seen.some((s) => s.status === "running" && s.progress.papers_fetched! > 0 && s.progress.papers_fetched! < 6)).toBe(true);
    const downloaded = seen.map((s) => s.progress.pdfs_downloaded!);
    expect(downloaded).toEqual([...downloaded].sort((a, b) => a - b));
    const seed = await (await call(`/api/v1/ingestion/job/${started.job_id}`, { token: t })).json();
    expect(seed).toMatchObject({
      job_id: started.job_id,
      status: "completed",
      progress: { papers_fetched: 6, papers_created: 6, papers_updated: 0, pdfs_downloaded: 6, pdfs_processed: 6, errors: [] },
      stats: { papers_unchanged: 0, canonical_query: expect.stringContaining("cat:cs.IR") },
    });
  });

  it("cancels a running harvest through DELETE /api/v1/ingestion/job/{id}", async () => {
    await controlFake({ total: 300, pageLimit: 5 });
    const res = await call("/api/v1/ingestion/arxiv", {
      method: "POST",
      token: t,
      body: JSON.stringify({ project_id: PROJECT, query: "q", max_results: 300, process_pdfs: false }),
      headers: { "Content-Type": "application/json" },
    });
    const { job_id } = (await res.json()) as { job_id: string };
    const del = await call(`/api/v1/ingestion/job/${job_id}`, { method: "DELETE", token: t });
    expect(del.status).toBe(200);
    expect(await (await call(`/api/v1/ingestion/job/${job_id}`, { token: t })).json()).toMatchObject({ status: "cancelled" });
  });

  it("returns 400 for snake_case input arXiv would refuse", async () => {
    const res = await call("/api/v1/ingestion/arxiv", {
      method: "POST",
      token: t,
      body: JSON.stringify({ project_id: PROJECT, id_list: ["not-an-id"] }),
      headers: { "Content-Type": "application/json" },
    });
    expect(await problem(res)).toMatchObject({ status: 400, detail: expect.stringContaining("is not an arXiv id") });
  });
});

describe("GET /api/v1/ingestion/arxiv/gate", () => {
  it("reports the wait before the next arXiv request and a pause after a 503 with Retry-After", async () => {
    await controlFake({ faults: [{ on: "api", fault: "503", retryAfter: 30, times: 1 }] });
    await gate().fetchPage({ callerId: "gate-status", url: "https://arxiv.fake/api/query?search_query=q&start=0&max_results=1" });
    const res = await call("/api/v1/ingestion/arxiv/gate", { token: t });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { nextRequestInMs: number; pausedForMs: number; queued: number };
    expect(body.pausedForMs).toBeGreaterThan(20_000);
    expect(body.nextRequestInMs).toBeGreaterThanOrEqual(body.pausedForMs);
    expect(body.queued).toBe(0);
    expect((await call("/api/v1/ingestion/arxiv/gate")).status).toBe(401);
  });
});
