/**
 * Where a document lives (DESIGN §4, §8): text and chunk table in R2, one small row in
 * D1, a bounded number of D1 statements per job, nothing left behind by a job that
 * does not complete.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { projectDb } from "../../src/db/shards";
import { describe, expect, it } from "vitest";
import type { IngestJob } from "../../src/jobs/ingest-job";
import type { Checkpoint, IndexingCheckpoint } from "../../src/jobs/checkpoint";
import { PART_BYTES } from "../../src/documents/object-upload";
import { SEGMENT_CHARS } from "../../src/pipeline/limits";
import { allChunks, call, createJob, drive, getJob, jobStub, jobsPath, sha256Hex, step, token, type ChunkItem } from "../helpers";

const P = "proj_store";
const docsPath = (id: string) => `/api/projects/${P}/documents/${id}`;
const enc = new TextEncoder();

function checkpoint(jobId: string): Promise<Checkpoint | null> {
  return runInDurableObject(jobStub(jobId), (_i: IngestJob, state) => {
    // The pipeline's tables exist once the job's first slice has run.
    if (!state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'pipeline'").toArray().length) return null;
    const row = state.storage.sql.exec<{ data: string }>("SELECT data FROM pipeline").toArray()[0];
    return row ? (JSON.parse(row.data) as Checkpoint) : null;
  });
}

/** The checkpoint once the job is indexing, else null. */
async function indexing(jobId: string): Promise<IndexingCheckpoint | null> {
  const cp = await checkpoint(jobId);
  return cp?.stage === "INDEXING" ? cp : null;
}

function d1Statements(jobId: string): Promise<number> {
  return runInDurableObject(
    jobStub(jobId),
    (_i: IngestJob, state) => state.storage.sql.exec<{ n: number }>("SELECT d1_statements AS n FROM index_outbox").one().n,
  );
}

async function documentObjects(documentId: string): Promise<string[]> {
  return (await env.BUCKET.list({ prefix: `documents/${P}/${documentId}` })).objects.map((o) => o.key);
}

/** 1- to 4-byte characters in a pattern of prime length, so no boundary is aligned. */
function multiByteText(minBytes: number): string {
  const unit = "a é 日本 😀 ü ß — 中文字 🎉 naïve. ";
  return unit.repeat(Math.ceil(minBytes / enc.encode(unit).length));
}

describe("chunks served from R2", () => {
  it("pages chunks whose text is exactly text.slice(charStart, charEnd) across segment and R2 part boundaries, multi-byte UTF-8 included", async () => {
    const t = await token({ projects: [P] });
    const text = multiByteText(PART_BYTES + 512 * 1024);
    const bytes = enc.encode(text);
    expect(bytes.length).toBeGreaterThan(PART_BYTES);
    expect(text.length).toBeGreaterThan(2 * SEGMENT_CHARS);
    const job = await createJob(t, P, bytes, { filename: "multi.txt", query: { chunkSize: "8000", chunkOverlap: "500" } });
    await drive(job.id);
    const done = await getJob(t, P, job.id);
    expect(done.status).toBe("COMPLETED");
    const id = done.canonicalDocumentId!;
    // The text went up as a two-part multipart upload.
    expect((await indexing(job.id))!.textUpload!.parts.map((p) => p.partNumber)).toEqual([1, 2]);
    expect((await env.BUCKET.head(`documents/${P}/${id}.txt`))!.size).toBe(bytes.length);

    const chunks = await allChunks(t, P, id, 37);
    expect(chunks.length).toBe(done.counters.chunksCreated);
    expect(chunks.map((c) => c.ordinal)).toEqual(chunks.map((_, i) => i));
    for (const c of chunks) {
      expect(c.text === text.slice(c.charStart, c.charEnd), `chunk ${c.ordinal}`).toBe(true);
    }
    const byteOffset = (char: number) => enc.encode(text.slice(0, char)).length;
    const acrossPart = chunks.filter((c) => byteOffset(c.charStart) < PART_BYTES && byteOffset(c.charEnd) > PART_BYTES);
    const acrossSegment = chunks.filter((c) => c.charStart < SEGMENT_CHARS && c.charEnd > SEGMENT_CHARS);
    expect(acrossPart).toHaveLength(1);
    expect(acrossSegment).toHaveLength(1);
    for (const c of [...acrossPart, ...acrossSegment]) expect(c.contentHash).toBe(await sha256Hex(c.text));
    const doc = await (await call(docsPath(id), { token: t })).json<{ contentHash: string }>();
    expect(doc.contentHash).toBe(await sha256Hex(text));
  });

  it("gives the same text, hash and chunks when the object is evicted after every slice of a multipart upload", async () => {
    const t = await token({ projects: [P] });
    const bytes = enc.encode(multiByteText(PART_BYTES + 1024));
    const query = { chunkSize: "8000", chunkOverlap: "0" };
    const steady = await createJob(t, P, bytes, { filename: "a.txt", query });
    const evicted = await createJob(t, P, bytes, { filename: "a.txt", query });
    await drive(steady.id);
    while (await step(evicted.id)) await evictDurableObject(jobStub(evicted.id));
    const [a, b] = [await getJob(t, P, steady.id), await getJob(t, P, evicted.id)];
    expect(b.status).toBe("COMPLETED");
    const docOf = async (id: string) => (await call(docsPath(id), { token: t })).json<{ contentHash: string; chunkCount: number }>();
    const [da, db] = [await docOf(a.canonicalDocumentId!), await docOf(b.canonicalDocumentId!)];
    expect(db.contentHash).toBe(da.contentHash);
    expect(db.chunkCount).toBe(da.chunkCount);
    const strip = (cs: ChunkItem[]) =>
      cs.map(({ ordinal, charStart, charEnd, contentHash, page, text }) => ({ ordinal, charStart, charEnd, contentHash, page, text }));
    expect(strip(await allChunks(t, P, b.canonicalDocumentId!))).toEqual(strip(await allChunks(t, P, a.canonicalDocumentId!)));
  });

  it("keeps only a small row in D1: no chunk text, no per-event rows", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "Sentence. ".repeat(50_000), { query: { chunkSize: "100", chunkOverlap: "0" } });
    await drive(job.id);
    const done = await getJob(t, P, job.id);
    const row = await projectDb(env, P).prepare("SELECT * FROM documents WHERE id = ?").bind(done.canonicalDocumentId).first();
    expect(JSON.stringify(row).length).toBeLessThan(1024);
    const tables = await projectDb(env, P).prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all<{ name: string }>();
    expect(tables.results.map((r) => r.name)).not.toContain("chunks");
    expect(tables.results.map((r) => r.name)).not.toContain("job_event_audit");
    expect((await documentObjects(done.canonicalDocumentId!)).sort()).toEqual([
      `documents/${P}/${done.canonicalDocumentId}.chunks`,
      `documents/${P}/${done.canonicalDocumentId}.txt`,
    ]);
  });
});

describe("the D1 budget of a job", () => {
  for (const isDeepScan of [false, true]) {
    it(`is the same number of statements for a small and a large document${isDeepScan ? " (deep scan)" : ""}`, async () => {
      const t = await token({ projects: [P] });
      const query = { chunkSize: "200", chunkOverlap: "0", isDeepScan: String(isDeepScan) };
      const small = await createJob(t, P, "A small document. ".repeat(3), { query });
      const large = await createJob(t, P, "A large document with many slices and chunks. ".repeat(80_000), { query });
      await drive(small.id);
      await drive(large.id);
      const [s, l] = [await getJob(t, P, small.id), await getJob(t, P, large.id)];
      expect(s.status).toBe("COMPLETED");
      expect(l.status).toBe("COMPLETED");
      expect(l.counters.chunksCreated).toBeGreaterThan(10_000);
      const [ns, nl] = [await d1Statements(small.id), await d1Statements(large.id)];
      expect(nl).toBe(ns);
      // The index row on create, start, each stage change and completion; the document
      // row; for a deep scan the duplicate look-up (one batch of two statements).
      expect(ns).toBe(isDeepScan ? 9 : 6);
    });
  }
});

describe("nothing left behind", () => {
  it("a job that fails while indexing keeps its text and chunk table for a retry, and leaves none once deleted", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "Fails late. ".repeat(10_000));
    let cp = await indexing(job.id);
    while (!cp?.tableUpload?.complete) {
      expect(await step(job.id)).toBe(true);
      cp = await indexing(job.id);
    }
    expect((await documentObjects(cp.documentId)).length).toBe(2);
    await projectDb(env, P).exec("ALTER TABLE documents RENAME TO documents_offline");
    try {
      for (let i = 0; i < 5 && (await getJob(t, P, job.id)).status === "RUNNING"; i++) await step(job.id);
    } finally {
      await projectDb(env, P).exec("ALTER TABLE documents_offline RENAME TO documents");
    }
    expect((await getJob(t, P, job.id)).status).toBe("FAILED");
    await drive(job.id);
    // A transient failure may be retried from its checkpoint: what it wrote stays.
    expect((await documentObjects(cp.documentId)).length).toBe(2);
    expect((await call(`${jobsPath(P)}/${job.id}`, { method: "DELETE", token: t })).status).toBe(204);
    await drive(job.id); // the deleted job's clean-up
    expect(await documentObjects(cp.documentId)).toEqual([]);
    expect((await call(docsPath(cp.documentId), { token: t })).status).toBe(404);
  });

  it("a job cancelled in the middle of a multipart upload leaves no object and no upload", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, enc.encode(multiByteText(PART_BYTES + 1024)), { query: { chunkSize: "8000", chunkOverlap: "0" } });
    // The text's upload: written through while the text is extracted (INDEXING's, for text kept as segments).
    const textUpload = (c: Checkpoint | null) => (c?.stage === "INDEXING" ? c.textUpload : c?.textParts) ?? null;
    let cp = await checkpoint(job.id);
    while (!textUpload(cp)?.uploadId) {
      expect(await step(job.id)).toBe(true);
      cp = await checkpoint(job.id);
    }
    const upload = textUpload(cp)!;
    expect(upload.complete).toBe(false);
    expect((await call(`${jobsPath(P)}/${job.id}/cancel`, { method: "POST", token: t })).status).toBe(200);
    await drive(job.id);
    expect(await documentObjects(cp!.documentId)).toEqual([]);
    // The unfinished upload was aborted: it can no longer be completed.
    const resumed = env.BUCKET.resumeMultipartUpload(`documents/${P}/${cp!.documentId}.txt`, upload.uploadId!);
    await expect(resumed.complete(upload.parts)).rejects.toThrow();
  });
});

describe("a document deleted while its job's events stream", () => {
  it("is gone at once; the job's watcher keeps its gap-free stream through the job's own deletion", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "# Streamed\n\n" + "Words on a page. ".repeat(5_000), { filename: "s.md", type: "text/markdown" });
    const res = await call(`${jobsPath(P)}/${job.id}/events`, { token: t, headers: { Upgrade: "websocket" } });
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const frames: { type: string; seq: number }[] = [];
    ws.accept();
    ws.addEventListener("message", (e) => {
      frames.push(JSON.parse(String(e.data)));
    });
    const until = async (pred: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out: ${frames.map((f) => f.type).join(", ")}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await drive(job.id);
    await until(() => frames.some((f) => f.type === "job.completed"));
    const { canonicalDocumentId: id } = await getJob(t, P, job.id);
    // Delete the document while the watcher is still connected, then the job.
    expect((await call(docsPath(id!), { method: "DELETE", token: t })).status).toBe(204);
    expect((await call(`${docsPath(id!)}/chunks`, { token: t })).status).toBe(404);
    expect((await call(`${docsPath(id!)}/text`, { token: t })).status).toBe(404);
    expect(await documentObjects(id!)).toEqual([]);
    expect((await call(`${jobsPath(P)}/${job.id}`, { method: "DELETE", token: t })).status).toBe(204);
    await until(() => frames.some((f) => f.type === "job.deleted"));
    await drive(job.id); // the job's clean-up does not trip over the missing document
    const events = frames.filter((f) => f.type !== "job.snapshot");
    expect(events.map((f) => f.seq)).toEqual(events.map((_, i) => events[0]!.seq + i));
    expect(events.at(-1)!.type).toBe("job.deleted");
    expect(await documentObjects(id!)).toEqual([]);
    expect(await env.BUCKET.head(`sources/${P}/${job.id}`)).toBeNull();
  });
});
