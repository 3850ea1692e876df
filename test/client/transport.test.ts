/**
 * The SDK's transport, run inside workerd (so it is also a check that the core needs
 * nothing from Node): retries, Retry-After, the D1 bookmark, problems, ETag polling.
 * The server is a scripted `fetch`; the real server is exercised in test/e2e/clients.
 */
import { describe, expect, it } from "vitest";
import { EdgeIngest, EdgeIngestError, type RetryNotice } from "../../src/client/index";

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

/** A fetch that answers from a script and records what it was sent. */
function scripted(replies: Reply[]) {
  const sent: Request[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    sent.push(req);
    if (req.body) await req.arrayBuffer();
    const r = replies.shift();
    if (!r) throw new Error("no scripted reply left");
    const problem = r.status >= 400;
    const body = r.body === undefined ? null : JSON.stringify(r.body);
    return new Response(r.status === 304 || r.status === 204 ? null : body, {
      status: r.status,
      headers: { "Content-Type": problem ? "application/problem+json" : "application/json", ...r.headers },
    });
  };
  return { fetch: fetch as typeof globalThis.fetch, sent };
}

const job = (status: string, progress = 0) => ({ id: "0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11", projectId: "demo", status, stage: "DONE", progress });
const problem = (status: number, detail: string) => ({ type: "about:blank", title: "T", status, detail });

describe("EdgeIngest transport", () => {
  it("retries a 429 on a GET after Retry-After, telling onRetry how long it waits", async () => {
    const { fetch, sent } = scripted([
      { status: 429, body: problem(429, "Rate limit exceeded"), headers: { "Retry-After": "1" } },
      { status: 200, body: job("RUNNING") },
    ]);
    const notices: RetryNotice[] = [];
    const client = new EdgeIngest({ baseUrl: "http://api.test/", token: "t", projectId: "demo", fetch, onRetry: (n) => notices.push(n) });
    const started = Date.now();
    expect((await client.jobs.get("j1")).status).toBe("RUNNING");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(notices).toEqual([expect.objectContaining({ status: 429, delayMs: 1000, attempt: 1, detail: "Rate limit exceeded", method: "GET" })]);
    expect(sent.map((r) => r.url)).toEqual(["http://api.test/api/projects/demo/ingest/jobs/j1", "http://api.test/api/projects/demo/ingest/jobs/j1"]);
    expect(sent[0]!.headers.get("Authorization")).toBe("Bearer t");
  });

  it("retries a 503 on cancel and delete, but never a create without an idempotency key", async () => {
    const { fetch, sent } = scripted([
      { status: 503, body: problem(503, "busy"), headers: { "Retry-After": "0" } },
      { status: 200, body: job("CANCELLED") },
      { status: 503, body: problem(503, "busy"), headers: { "Retry-After": "0" } },
      { status: 204 },
      { status: 503, body: problem(503, "busy"), headers: { "Retry-After": "0", "X-Request-Id": "req-1" } },
    ]);
    const client = new EdgeIngest({ baseUrl: "http://api.test", token: "t", projectId: "demo", fetch });
    expect((await client.jobs.cancel("j1")).status).toBe("CANCELLED");
    await client.jobs.delete("j1");
    const err = await client.jobs.create(new Blob(["# hi"]), { filename: "a.md" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgeIngestError);
    expect(err).toMatchObject({ status: 503, detail: "busy", requestId: "req-1", title: "T", type: "about:blank" });
    expect(sent).toHaveLength(5);
  });

  it("retries a create that carries an idempotency key, sending the same file again", async () => {
    const { fetch, sent } = scripted([
      { status: 429, body: problem(429, "Rate limit exceeded"), headers: { "Retry-After": "0" } },
      { status: 201, body: job("QUEUED") },
    ]);
    const client = new EdgeIngest({ baseUrl: "http://api.test", token: "t", projectId: "demo", fetch });
    const created = await client.jobs.submit(new Blob(["# hi"], { type: "text/markdown" }), { filename: "my notes.md", idempotencyKey: "k1", chunkSize: 500 });
    expect(created.created).toBe(true);
    expect(sent).toHaveLength(2);
    const url = new URL(sent[1]!.url);
    expect(url.searchParams.get("filename")).toBe("my notes.md");
    expect(url.searchParams.get("chunkSize")).toBe("500");
    expect(sent[1]!.headers.get("Idempotency-Key")).toBe("k1");
    expect(sent[1]!.headers.get("Content-Type")).toBe("text/markdown");
  });

  it("gives up when Retry-After is longer than maxRetryDelayMs", async () => {
    const { fetch } = scripted([{ status: 429, body: problem(429, "Rate limit exceeded"), headers: { "Retry-After": "3600" } }]);
    const client = new EdgeIngest({ baseUrl: "http://api.test", token: "t", projectId: "demo", fetch, maxRetryDelayMs: 60_000 });
    await expect(client.jobs.get("j1")).rejects.toMatchObject({ status: 429, detail: "Rate limit exceeded" });
  });

  it("sends back the project's newest x-d1-bookmark (read-your-writes), and no other project's", async () => {
    const { fetch, sent } = scripted([
      { status: 201, body: job("QUEUED"), headers: { "x-d1-bookmark": "b-1" } },
      { status: 200, body: { items: [], nextCursor: null, total: 0 }, headers: { "x-d1-bookmark": "b-2" } },
      { status: 200, body: { items: [], nextCursor: null, total: 0 } },
      { status: 200, body: { items: [], nextCursor: null, total: 0 } },
    ]);
    const client = new EdgeIngest({ baseUrl: "http://api.test", token: () => "fresh", projectId: "demo", fetch });
    await client.jobs.create(new Blob(["x"]), { filename: "a.txt" });
    await client.jobs.list();
    await client.jobs.list();
    await client.jobs.list({ projectId: "other" });
    expect(sent.map((r) => r.headers.get("x-d1-bookmark"))).toEqual([null, "b-1", "b-2", null]);
    expect(sent[3]!.headers.get("Authorization")).toBe("Bearer fresh");
  });

  it("iterates every page of jobs with the cursor", async () => {
    const { fetch, sent } = scripted([
      { status: 200, body: { items: [job("COMPLETED")], nextCursor: "c1", total: 2 } },
      { status: 200, body: { items: [job("FAILED")], nextCursor: null, total: 2 } },
    ]);
    const client = new EdgeIngest({ baseUrl: "http://api.test", token: "t", projectId: "demo", fetch });
    const seen = [];
    for await (const j of client.jobs.iterate({ status: "COMPLETED", limit: 1 })) seen.push(j.status);
    expect(seen).toEqual(["COMPLETED", "FAILED"]);
    expect(new URL(sent[1]!.url).searchParams.get("cursor")).toBe("c1");
    expect(new URL(sent[1]!.url).searchParams.get("status")).toBe("COMPLETED");
  });

  it("wait() without sockets polls with If-None-Match, so an unchanged job costs a 304", async () => {
    const { fetch, sent } = scripted([
      { status: 200, body: job("RUNNING", 0.5), headers: { ETag: '"v3"' } },
      { status: 304, headers: { ETag: '"v3"' } },
      { status: 200, body: job("COMPLETED", 1), headers: { ETag: '"v5"' } },
    ]);
    const client = new EdgeIngest({ baseUrl: "http://api.test", token: "t", projectId: "demo", fetch, WebSocket: null });
    const progress: number[] = [];
    const done = await client.jobs.wait("j1", { pollMs: 1, onProgress: (j) => progress.push(j.progress) });
    expect(done.status).toBe("COMPLETED");
    expect(progress).toEqual([0.5, 1]);
    expect(sent.map((r) => r.headers.get("If-None-Match"))).toEqual([null, '"v3"', '"v3"']);
  });

  it("needs a project for project-scoped calls", async () => {
    const client = new EdgeIngest({ baseUrl: "http://api.test", token: "t" });
    await expect(client.jobs.list()).rejects.toThrow(/No projectId/);
  });
});
