import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { parseFeed } from "../../src/arxiv/feed";
import { controlFake, FAKE, fakeRequests, gaps, gate, INTERVAL_MS, pageOf, resetFake } from "./fake";

beforeEach(async () => {
  await resetFake();
  // A fresh pacing state: the previous test's last start and pauses are forgotten.
  await runInDurableObject(gate(), (_, state) => state.storage.kv.delete("pacing"));
});

describe("ArxivGate pacing", () => {
  it("never lets two requests of two callers at once start closer than the interval", async () => {
    const calls = [0, 1, 2].flatMap((i) => ["batch-a", "batch-b"].map((callerId) => gate().fetchPage({ callerId, url: pageOf(callerId, i * 10) })));
    const results = await Promise.all(calls);
    expect(results.every((r) => r.kind === "done" && r.value.status === 200)).toBe(true);
    const requests = await fakeRequests();
    expect(requests).toHaveLength(6);
    for (const gap of gaps(requests)) expect(gap).toBeGreaterThanOrEqual(INTERVAL_MS);
    // Round-robin: the two callers alternate rather than one draining its queue first.
    const callers = requests.map((r) => new URLSearchParams(r.search).get("search_query"));
    expect(callers.slice(0, 4)).toEqual(["batch-a", "batch-b", "batch-a", "batch-b"]);
  });

  it("makes one request at a time: a slow answer holds the next request until it is over", async () => {
    await controlFake({ faults: [{ on: "api", fault: "slow", delayMs: 800, times: 1 }] });
    const [slow, next] = await Promise.all([gate().fetchPage({ callerId: "a", url: pageOf("a") }), gate().fetchPage({ callerId: "b", url: pageOf("b") })]);
    expect(slow.kind).toBe("done");
    expect(next.kind).toBe("done");
    const [first, second] = await fakeRequests();
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(800);
  });

  it("sends a User-Agent naming the service and the contact", async () => {
    await gate().fetchPage({ callerId: "a", url: pageOf("a") });
    const [request] = await fakeRequests();
    expect(request!.userAgent).toBe("edge-ingest/0.1 (arXiv harvester; arxiv-tests@example.org)");
  });

  it("keeps its pacing across an eviction: the next request still waits the interval", async () => {
    await gate().fetchPage({ callerId: "a", url: pageOf("a") });
    await evictDurableObject(gate());
    await gate().fetchPage({ callerId: "a", url: pageOf("a", 10) });
    const requests = await fakeRequests();
    expect(requests).toHaveLength(2);
    expect(gaps(requests)[0]).toBeGreaterThanOrEqual(INTERVAL_MS);
  });

  it("reports when the next request may start", async () => {
    await gate().fetchPage({ callerId: "a", url: pageOf("a") });
    const status = await gate().status();
    expect(status.nextRequestAt).toBeGreaterThan(status.now - INTERVAL_MS);
    expect(status).toMatchObject({ holder: null, waiting: {}, consecutive429: 0 });
  });
});

describe("ArxivGate Retry-After and 429s", () => {
  it("holds every caller for Retry-After after a 503, and tells the refused caller when to ask again", async () => {
    await controlFake({ faults: [{ on: "api", fault: "503", retryAfter: 5, times: 1 }] });
    const [refused, other] = await Promise.all([gate().fetchPage({ callerId: "a", url: pageOf("a") }), gate().fetchPage({ callerId: "b", url: pageOf("b") })]);
    expect(refused).toMatchObject({ kind: "retry", reason: "arXiv answered HTTP 503" });
    expect(other.kind).toBe("done");
    const [first, second] = await fakeRequests();
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(5000);
    if (refused.kind === "retry") expect(refused.retryAt).toBeGreaterThanOrEqual(first!.at + 5000);
  });

  it("pauses all traffic after repeated 429s, longer with each one", async () => {
    await controlFake({ faults: [{ on: "api", fault: "429", times: 3 }] });
    for (let i = 0; i < 3; i++) expect((await gate().fetchPage({ callerId: "a", url: pageOf("a") })).kind).toBe("retry");
    expect((await gate().status()).consecutive429).toBe(3);
    expect((await gate().fetchPage({ callerId: "b", url: pageOf("b") })).kind).toBe("done");
    const g = gaps(await fakeRequests());
    expect(g[0]).toBeGreaterThanOrEqual(INTERVAL_MS); // one 429 alone: only the interval
    expect(g[1]).toBeGreaterThanOrEqual(400); // the second: the first pause
    expect(g[2]).toBeGreaterThanOrEqual(800); // the third: twice as long
    expect((await gate().status()).consecutive429).toBe(0);
  });

  it("answers retry at once, without waiting, when the pause is longer than the caller may wait", async () => {
    await controlFake({ faults: [{ on: "api", fault: "503", retryAfter: 30, times: 1 }] });
    await gate().fetchPage({ callerId: "a", url: pageOf("a") });
    const before = Date.now();
    const result = await gate().fetchPage({ callerId: "b", url: pageOf("b"), maxWaitMs: 1000 });
    expect(result).toMatchObject({ kind: "retry" });
    expect(Date.now() - before).toBeLessThan(5000);
    expect(await fakeRequests()).toHaveLength(1);
  });

  it("turns a dropped connection into retry", async () => {
    await controlFake({ faults: [{ on: "api", fault: "drop", times: 1 }] });
    expect(await gate().fetchPage({ callerId: "a", url: pageOf("a") })).toMatchObject({ kind: "retry" });
    expect((await gate().fetchPage({ callerId: "a", url: pageOf("a") })).kind).toBe("done");
  });
});

describe("ArxivGate cancel", () => {
  it("drops a cancelled caller's queued requests: none of them reaches arXiv", async () => {
    await controlFake({ faults: [{ on: "api", fault: "slow", delayMs: 600, times: 1 }] });
    const first = gate().fetchPage({ callerId: "b", url: pageOf("b") });
    const queued = [0, 1, 2].map((i) => gate().fetchPage({ callerId: "a", url: pageOf("a", i * 10) }));
    const other = gate().fetchPage({ callerId: "c", url: pageOf("c") });
    await new Promise((r) => setTimeout(r, 200));
    expect(await gate().cancel("a")).toBe(3);
    expect(await Promise.all(queued)).toEqual([{ kind: "cancelled" }, { kind: "cancelled" }, { kind: "cancelled" }]);
    expect((await first).kind).toBe("done");
    expect((await other).kind).toBe("done");
    const asked = (await fakeRequests()).map((r) => new URLSearchParams(r.search).get("search_query"));
    expect(asked).toEqual(["b", "c"]);
  });
});

describe("ArxivGate pages and PDFs", () => {
  it("returns an error feed's body with its status, for the caller to read arXiv's message", async () => {
    const result = await gate().fetchPage({ callerId: "a", url: `${FAKE}/api/query?search_query=&id_list=abc&start=0&max_results=100` });
    expect(result.kind).toBe("done");
    if (result.kind !== "done") return;
    expect(result.value.status).toBe(400);
    expect(() => parseFeed(result.value.body)).toThrow("incorrect id format for abc");
  });

  it("refuses URLs outside ARXIV_API_URL without sending anything", async () => {
    for (const url of ["https://evil.example/api/query?search_query=x", `${FAKE}/admin?x=1`, "not a url"]) {
      expect(await gate().fetchPage({ callerId: "a", url })).toMatchObject({ kind: "failed", code: "bad_request" });
    }
    expect(await fakeRequests()).toHaveLength(0);
  });

  it("streams a PDF into R2 at the caller's key and returns its size", async () => {
    const result = await gate().fetchPdf({ callerId: "a", arxivId: "hep-ex/0406020v1", key: "test/arxiv/hep-ex.pdf" });
    expect(result).toMatchObject({ kind: "done", value: { key: "test/arxiv/hep-ex.pdf" } });
    const stored = await env.BUCKET.get("test/arxiv/hep-ex.pdf");
    const bytes = new Uint8Array(await stored!.arrayBuffer());
    expect(new TextDecoder().decode(bytes.subarray(0, 5))).toBe("%PDF-");
    if (result.kind === "done") expect(result.value.bytes).toBe(bytes.byteLength);
    expect((await fakeRequests())[0]!.path).toBe("/pdf/hep-ex/0406020v1");
  });

  it("refuses an HTML page behind a PDF link and stores nothing", async () => {
    await controlFake({ faults: [{ on: "pdf", fault: "html", times: 1 }] });
    expect(await gate().fetchPdf({ callerId: "a", arxivId: "2104.12255v1", key: "test/arxiv/html.pdf" })).toMatchObject({ kind: "failed", code: "not_pdf" });
    expect(await env.BUCKET.head("test/arxiv/html.pdf")).toBeNull();
  });

  it("refuses a PDF over MAX_UPLOAD_BYTES while streaming, and stores nothing", async () => {
    await controlFake({ faults: [{ on: "pdf", fault: "huge", bytes: 13 * 1024 * 1024, times: 1 }] });
    expect(await gate().fetchPdf({ callerId: "a", arxivId: "2104.12255v1", key: "test/arxiv/huge.pdf" })).toMatchObject({ kind: "failed", code: "too_large" });
    expect(await env.BUCKET.head("test/arxiv/huge.pdf")).toBeNull();
  });

  it("stores a PDF larger than one multipart part whole", async () => {
    await controlFake({ faults: [{ on: "pdf", fault: "huge", bytes: 6 * 1024 * 1024, times: 1 }] });
    expect(await gate().fetchPdf({ callerId: "a", arxivId: "2104.12255v1", key: "test/arxiv/big.pdf" })).toMatchObject({
      kind: "done",
      value: { bytes: 6 * 1024 * 1024 },
    });
    expect((await env.BUCKET.head("test/arxiv/big.pdf"))!.size).toBe(6 * 1024 * 1024);
  });

  it("answers not_found for a version arXiv does not have, and refuses an unversioned id", async () => {
    expect(await gate().fetchPdf({ callerId: "a", arxivId: "2104.12255v7", key: "k" })).toMatchObject({ kind: "failed", code: "not_found" });
    expect(await gate().fetchPdf({ callerId: "a", arxivId: "2104.12255", key: "k" })).toMatchObject({ kind: "failed", code: "bad_request" });
  });
});
