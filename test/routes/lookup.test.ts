import { describe, expect, it } from "vitest";
import { call, createJob, drive, jobsPath, problem, sha256Hex, token } from "../helpers";

const P = "proj_lookup";
const lookupPath = `/api/projects/${P}/ingest/lookup`;

function lookup(t: string, items: unknown[]) {
  return call(lookupPath, { method: "POST", token: t, headers: { "Content-Type": "application/json" }, body: JSON.stringify({ items }) });
}

describe("POST /ingest/lookup", () => {
  it("names the COMPLETED job and document of a file ingested with the same options, and nothing for other options", async () => {
    const t = await token({ projects: [P] });
    const text = "A file to look up before uploading it again.";
    const job = await createJob(t, P, text, { query: { chunkSize: "500", sourceId: "crawl-1" } });
    await drive(job.id);
    const done = await (await call(`${jobsPath(P)}/${job.id}`, { token: t })).json<{ canonicalDocumentId: string; fingerprint: string }>();
    const sha256 = await sha256Hex(text);
    const res = await lookup(t, [
      { sha256, chunkSize: 500, sourceId: "crawl-1" },
      { sha256, chunkSize: 800, sourceId: "crawl-1" },
      { sha256, chunkSize: 500 },
      { sha256: await sha256Hex("never uploaded") },
    ]);
    expect(res.status).toBe(200);
    const { items } = await res.json<{ items: { fingerprint: string; jobId: string | null; documentId: string | null }[] }>();
    expect(items).toHaveLength(4);
    expect(items[0]).toEqual({ fingerprint: done.fingerprint, jobId: job.id, documentId: done.canonicalDocumentId });
    expect(items.slice(1).map((i) => i.jobId)).toEqual([null, null, null]);
  });

  it("does not name a job that has not completed", async () => {
    const t = await token({ projects: [P] });
    const text = "Still queued when looked up.";
    await createJob(t, P, text);
    const { items } = await (await lookup(t, [{ sha256: await sha256Hex(text) }])).json<{ items: { jobId: string | null }[] }>();
    expect(items[0]!.jobId).toBeNull();
  });

  it("answers 1,000 files in one request and refuses 1,001", async () => {
    const t = await token({ projects: [P] });
    const items = Array.from({ length: 1000 }, (_, i) => ({ sha256: i.toString(16).padStart(64, "0") }));
    const ok = await lookup(t, items);
    expect(ok.status).toBe(200);
    expect((await ok.json<{ items: unknown[] }>()).items).toHaveLength(1000);
    const tooMany = await lookup(t, [...items, { sha256: "f".repeat(64) }]);
    expect(tooMany.status).toBe(400);
    expect((await problem(tooMany)).detail).toMatch(/at most 1000 items/);
  });

  it("returns 400 for a malformed hash or options that do not fit together", async () => {
    const t = await token({ projects: [P] });
    expect((await problem(await lookup(t, [{ sha256: "abc" }]))).detail).toMatch(/64 hex digits/);
    const res = await lookup(t, [{ sha256: "a".repeat(64), chunkSize: 200, chunkOverlap: 300 }]);
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toMatch(/^items\[0\]: /);
  });

  it("returns 403 for a token without the project", async () => {
    const t = await token({ projects: ["proj_elsewhere"] });
    expect((await lookup(t, [{ sha256: "a".repeat(64) }])).status).toBe(403);
  });
});
