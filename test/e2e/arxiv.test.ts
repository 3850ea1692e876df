/**
 * arXiv harvests against a real `wrangler dev` and the fake arXiv on 127.0.0.1: the
 * service's own gate fetches pages and PDFs over the network, and the fake times every
 * arrival. The fake is shared with any other file that harvests, so nothing here resets
 * it: each test reads the request log from where it started, and its faults only match
 * its own queries. Pacing is asserted over every request in that window, whoever made it:
 * the one gate paces them all.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { E2E_ARXIV_INTERVAL_MS, type E2eServer, fakeArxivUrl, sharedServer, token } from "./dev-server";

/** Both clocks count whole milliseconds: two readings of one instant can differ by one. */
const CLOCK_SLACK_MS = 1;

interface FakeRequest {
  at: number;
  path: string;
  search: string;
  userAgent: string;
}

interface BatchView {
  id: string;
  status: string;
  stats: Record<string, unknown>;
  counts: Record<string, number>;
}

let server: E2eServer;
let fake: string;
let t: string;
const PROJECTS = { one: "e2e-arxiv", paceA: "e2e-arxiv-pace-a", paceB: "e2e-arxiv-pace-b", holdA: "e2e-arxiv-hold-a", holdB: "e2e-arxiv-hold-b" };

beforeAll(async () => {
  server = await sharedServer();
  fake = fakeArxivUrl();
  t = await token({ sub: "e2e-arxiv", roles: ["editor"], projects: Object.values(PROJECTS) });
});

async function fakeRequests(): Promise<FakeRequest[]> {
  return (await fetch(`${fake}/__requests`)).json() as Promise<FakeRequest[]>;
}

async function controlFake(body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${fake}/__control`, { method: "POST", body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

/** Starts a harvest through the HTTP API. */
async function harvest(project: string, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${server.url}/api/projects/${project}/ingest/batches`, {
    method: "POST",
    headers: { Authorization: `Bearer ${t}`, "Content-Type": "application/json" },
    body: JSON.stringify({ kind: "arxiv", ...body }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function settled(project: string, id: string): Promise<BatchView> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const batch = (await (
      await fetch(`${server.url}/api/projects/${project}/ingest/batches/${id}`, { headers: { Authorization: `Bearer ${t}` } })
    ).json()) as BatchView;
    if (["COMPLETED", "FAILED", "CANCELLED"].includes(batch.status)) return batch;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${batch.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const queryOf = (r: FakeRequest) => new URLSearchParams(r.search).get("search_query") ?? "";

describe("arXiv harvest through wrangler dev (e2e)", () => {
  it("fetches the page and the PDF from the fake arXiv through the service's gate", async () => {
    const from = (await fakeRequests()).length;
    const id = await harvest(PROJECTS.one, { idList: ["2104.12255v1"] });
    const batch = await settled(PROJECTS.one, id);
    expect(batch).toMatchObject({ status: "COMPLETED", stats: { papers_fetched: 1, papers_created: 1, pdfs_downloaded: 1, pdfs_processed: 1 } });
    const mine = (await fakeRequests()).slice(from).filter((r) => r.search.includes("2104.12255v1") || r.path === "/pdf/2104.12255v1");
    expect(mine.map((r) => r.path)).toEqual(["/api/query", "/pdf/2104.12255v1"]);
    expect(new URLSearchParams(mine[0]!.search).get("id_list")).toBe("2104.12255v1");
    expect(mine[0]!.userAgent).toMatch(/^edge-ingest\/0\.1 \(arXiv harvester/);
  });
});

describe("arXiv politeness through the HTTP API, timed at the fake arXiv", () => {
  it("never lets two requests of two harvests at once reach arXiv closer than ARXIV_MIN_INTERVAL_MS", async () => {
    const from = (await fakeRequests()).length;
    const tag = `pace-${Date.now()}`;
    // Pages and PDFs of both harvests compete for the gate at once: each batch downloads
    // its PDFs concurrently, so without the gate's wait they would arrive together.
    const [a, b] = await Promise.all([
      harvest(PROJECTS.paceA, { query: `${tag}-a`, idList: ["2202.12139", "2405.13786", "2005.14124"] }),
      harvest(PROJECTS.paceB, { query: `${tag}-b`, idList: ["2204.08348", "2302.03287", "1202.4527"] }),
    ]);
    const [doneA, doneB] = await Promise.all([settled(PROJECTS.paceA, a), settled(PROJECTS.paceB, b)]);
    for (const done of [doneA, doneB]) {
      expect(done).toMatchObject({ status: "COMPLETED", stats: { papers_created: 3, pdfs_downloaded: 3, pdfs_processed: 3 } });
    }
    const window = (await fakeRequests()).slice(from);
    expect(
      window
        .filter((r) => queryOf(r).startsWith(tag))
        .map(queryOf)
        .sort(),
    ).toEqual([`${tag}-a`, `${tag}-b`]);
    expect(window.filter((r) => r.path.startsWith("/pdf/")).length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i < window.length; i++) {
      const gap = window[i]!.at - window[i - 1]!.at;
      expect(gap, `${window[i - 1]!.path} then ${window[i]!.path}`).toBeGreaterThanOrEqual(E2E_ARXIV_INTERVAL_MS - CLOCK_SLACK_MS);
    }
  });

  it("holds both harvests for Retry-After: 5 after a 503: every later request arrives at least 5 s after it", async () => {
    const from = (await fakeRequests()).length;
    const tag = `hold-${Date.now()}`;
    // The first page request of either harvest gets the 503.
    await controlFake({ faults: [{ on: "api", fault: "503", retryAfter: 5, search: tag, times: 1 }] });
    const [a, b] = await Promise.all([
      harvest(PROJECTS.holdA, { query: `${tag}-a`, idList: ["2202.12139", "2405.13786"] }),
      harvest(PROJECTS.holdB, { query: `${tag}-b`, idList: ["2204.08348", "2302.03287"] }),
    ]);
    const [doneA, doneB] = await Promise.all([settled(PROJECTS.holdA, a), settled(PROJECTS.holdB, b)]);
    for (const done of [doneA, doneB]) {
      expect(done).toMatchObject({ status: "COMPLETED", stats: { papers_fetched: 2, papers_created: 2, pdfs_downloaded: 2, pdfs_processed: 2 } });
    }
    const window = (await fakeRequests()).slice(from);
    const refusedAt = window.findIndex((r) => queryOf(r).startsWith(tag));
    const refused = window[refusedAt]!;
    const later = window.slice(refusedAt + 1);
    // Both harvests went on after the 503: the refused page asked again, the other's page, and all four PDFs.
    expect(
      later
        .filter((r) => queryOf(r).startsWith(tag))
        .map(queryOf)
        .sort(),
    ).toEqual([`${tag}-a`, `${tag}-b`]);
    expect(later.filter((r) => r.path.startsWith("/pdf/")).length).toBeGreaterThanOrEqual(4);
    for (const r of later) expect(r.at - refused.at, `${r.path}${r.search}`).toBeGreaterThanOrEqual(5000 - CLOCK_SLACK_MS);
  });
});
