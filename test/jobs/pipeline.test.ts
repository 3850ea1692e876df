import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { projectDb } from "../../src/db/shards";
import { describe, expect, it } from "vitest";
import type { IngestJob } from "../../src/jobs/ingest-job";
import type { Job } from "../../src/jobs/lifecycle";
import { buildCorruptPdf, buildEncryptedPdf, buildPdf } from "../fixtures/pdf";
import { allChunks, call, createJob, drive, getJob, jobStub, jobsPath, sha256Hex, step, token, type ChunkItem } from "../helpers";

const P = "proj_pipe";
const docsPath = (id: string) => `/api/projects/${P}/documents/${id}`;

async function runToEnd(t: string, job: Job): Promise<Job> {
  await drive(job.id);
  return getJob(t, P, job.id);
}

async function checkpoint(jobId: string): Promise<{ documentId: string } & Record<string, unknown>> {
  return runInDurableObject(jobStub(jobId), (_i: IngestJob, state) => {
    const row = state.storage.sql.exec<{ data: string }>("SELECT data FROM pipeline").toArray()[0];
    return JSON.parse(row!.data);
  });
}

type Upload = { complete: boolean } | null;

/** Steps the job until its checkpoint satisfies `done` (e.g. the text is in R2). */
async function stepUntil(jobId: string, done: (cp: { textUpload: Upload; tableUpload: Upload }) => boolean) {
  for (;;) {
    const cp = await checkpoint(jobId).catch(() => null);
    if (cp && done(cp as never)) return cp;
    if (!(await step(jobId))) throw new Error("job finished before the checkpoint was reached");
  }
}

const textStored = (cp: { textUpload: Upload }) => cp.textUpload?.complete === true;
const tableStored = (cp: { tableUpload: Upload }) => cp.tableUpload?.complete === true;

/** The R2 objects a document consists of (text, chunk table). */
async function documentObjects(documentId: string): Promise<string[]> {
  return (await env.BUCKET.list({ prefix: `documents/${P}/${documentId}` })).objects.map((o) => o.key);
}

describe("a job through every stage", () => {
  it("turns Markdown into a readable canonical document with ordered, covering chunks", async () => {
    const t = await token({ projects: [P] });
    const sections = Array.from({ length: 12 }, (_, i) => `# Section ${i}\n\n${"Sentence number one is here. ".repeat(20 + i)}\n\nAnother paragraph.\n`);
    const md = sections.join("\n");
    const job = await createJob(t, P, md, { filename: "guide.md", type: "text/markdown", query: { chunkSize: "400", chunkOverlap: "40" } });
    const done = await runToEnd(t, job);
    expect(done).toMatchObject({ status: "COMPLETED", stage: "DONE", progress: 1 });
    expect(done.canonicalDocumentId).toBeTruthy();
    expect(done.counters.charactersExtracted).toBe(md.length);
    expect(done.counters.bytesRead).toBe(md.length);

    const doc = await (await call(docsPath(done.canonicalDocumentId!), { token: t })).json<Record<string, unknown>>();
    expect(doc).toMatchObject({
      id: done.canonicalDocumentId,
      projectId: P,
      jobId: job.id,
      title: "Section 0",
      mimeType: "text/markdown",
      characterCount: md.length,
      pageCount: null,
    });
    expect(doc.contentHash).toBe(await sha256Hex(md));

    const text = await (await call(`${docsPath(done.canonicalDocumentId!)}/text`, { token: t })).text();
    expect(text).toBe(md);

    const chunks = await allChunks(t, P, done.canonicalDocumentId!);
    expect(chunks.length).toBe(doc.chunkCount);
    expect(chunks.length).toBe(done.counters.chunksCreated);
    expect(chunks.map((c) => c.ordinal)).toEqual(chunks.map((_, i) => i));
    for (const c of chunks) {
      expect(c.text).toBe(md.slice(c.charStart, c.charEnd));
      expect(c.text.length).toBeLessThanOrEqual(400);
      expect(c.contentHash).toBe(await sha256Hex(c.text));
    }
    // Headings start chunks: every "# Section" line begins at a chunk start.
    const starts = new Set(chunks.map((c) => c.charStart));
    let at = md.indexOf("# Section");
    while (at >= 0) {
      expect(starts.has(at)).toBe(true);
      at = md.indexOf("# Section", at + 1);
    }

    const log = await (await call(`${jobsPath(P)}/${job.id}/events`, { token: t })).json<{ items: { type: string; seq: number; job: { stage: string } }[] }>();
    expect(log.items.map((e) => e.seq)).toEqual(log.items.map((_, i) => i + 1));
    const stages = log.items.filter((e) => e.type === "job.stage").map((e) => e.job.stage);
    expect(stages).toEqual(["CHUNKING", "INDEXING"]);
    expect(log.items[0]!.type).toBe("job.created");
    expect(log.items[1]!.type).toBe("job.started");
    expect(log.items.at(-1)!.type).toBe("job.completed");
  });

  it("decodes a multi-megabyte UTF-8 text whose characters straddle every range boundary", async () => {
    const t = await token({ projects: [P] });
    // 1, 2, 3 and 4-byte characters, in a pattern whose length is prime, so slice
    // boundaries (1 MiB apart) fall inside multi-byte sequences.
    const unit = "a é 日本 😀 ü ß — ";
    const text = unit.repeat(Math.ceil((3.2 * 1024 * 1024) / new TextEncoder().encode(unit).length));
    const bytes = new TextEncoder().encode(text);
    const job = await createJob(t, P, bytes, { filename: "big.txt" });
    const done = await runToEnd(t, job);
    expect(done.status).toBe("COMPLETED");
    expect(done.counters.bytesRead).toBe(bytes.length);
    expect(done.counters.charactersExtracted).toBe(text.length);
    const stored = await (await call(`${docsPath(done.canonicalDocumentId!)}/text`, { token: t })).text();
    expect(stored.length).toBe(text.length);
    expect(stored === text).toBe(true);
    const doc = await (await call(docsPath(done.canonicalDocumentId!), { token: t })).json<{ contentHash: string }>();
    expect(doc.contentHash).toBe(await sha256Hex(text));
  });

  it("hashes each range's bytes only when they are its text: invalid UTF-8 and a CRLF cut by a range edge are hashed as the text", async () => {
    const t = await token({ projects: [P] });
    const MiB = 1 << 20;
    const line = "plain ascii text, nothing to rewrite\n";
    const bytes = new TextEncoder().encode(line.repeat(Math.ceil((3.5 * MiB) / line.length)));
    bytes[MiB + 1000] = 0xff; // range 2: not UTF-8 (decoded as U+FFFD)
    bytes[3 * MiB - 1] = 13; // range 3 ends in CR, range 4 starts with LF: one line break
    bytes[3 * MiB] = 10;
    const job = await createJob(t, P, bytes, { filename: "mixed.txt" });
    const done = await runToEnd(t, job);
    expect(done.status).toBe("COMPLETED");
    const stored = await (await call(`${docsPath(done.canonicalDocumentId!)}/text`, { token: t })).text();
    const expected = new TextDecoder().decode(bytes).replace(/\r\n?/g, "\n");
    expect(stored === expected).toBe(true);
    expect(stored).toContain("\uFFFD");
    const doc = await (await call(docsPath(done.canonicalDocumentId!), { token: t })).json<{ contentHash: string }>();
    expect(doc.contentHash).toBe(await sha256Hex(expected));
  });

  it("keeps a U+FEFF that happens to start a range, and strips only the document's own BOM", async () => {
    const t = await token({ projects: [P] });
    // The document's BOM (3 bytes) + 2^20 - 3 bytes: the second U+FEFF opens the second range.
    const text = "a".repeat((1 << 20) - 3) + "\uFEFFtail";
    const job = await createJob(t, P, "\uFEFF" + text, { filename: "bom.txt" });
    const done = await runToEnd(t, job);
    expect(done.counters.charactersExtracted).toBe(text.length);
    const stored = await (await call(`${docsPath(done.canonicalDocumentId!)}/text`, { token: t })).text();
    expect(stored).toBe(text);
  });

  it("extracts visible HTML text only: no scripts, styles or markup, entities decoded", async () => {
    const t = await token({ projects: [P] });
    const html = `<!DOCTYPE html><html><head><title>T</title><style>p{color:red}</style><script>var x = "<p>hidden</p>";</script></head>
<body><h1>Fish &amp; Chips</h1><p>Caf&eacute; &lt;menu&gt; &#8212; &#x263A;</p><!-- a comment --><div>Line<br>two</div><script>alert(1)</script></body></html>`;
    const job = await createJob(t, P, html, { filename: "p.html", type: "text/html" });
    const done = await runToEnd(t, job);
    const text = await (await call(`${docsPath(done.canonicalDocumentId!)}/text`, { token: t })).text();
    expect(text).toContain("Fish & Chips");
    expect(text).toContain("Café <menu> — ☺");
    expect(text).toMatch(/Line\s*\ntwo/);
    for (const hidden of ["alert", "color:red", "hidden", "<p>", "a comment", "&amp;"]) expect(text).not.toContain(hidden);
  });

  it("extracts a multi-page PDF page by page, keeping page numbers on chunks", async () => {
    const t = await token({ projects: [P] });
    const pages = Array.from({ length: 14 }, (_, i) => `Page ${i + 1} text. ${"Lorem ipsum dolor sit amet. ".repeat(8)}`);
    const job = await createJob(t, P, buildPdf(pages), { filename: "report.pdf", type: "application/pdf", query: { chunkSize: "200", chunkOverlap: "0" } });
    const done = await runToEnd(t, job);
    expect(done.status).toBe("COMPLETED");
    expect(done.counters.pagesExtracted).toBe(14);
    const doc = await (await call(docsPath(done.canonicalDocumentId!), { token: t })).json<{ pageCount: number }>();
    expect(doc.pageCount).toBe(14);
    const text = await (await call(`${docsPath(done.canonicalDocumentId!)}/text`, { token: t })).text();
    expect(text).toContain("Page 1 text.");
    expect(text).toContain("Page 14 text.");
    const chunks = await allChunks(t, P, done.canonicalDocumentId!);
    const pageOf = (n: number) => chunks.find((c) => c.text.includes(`Page ${n} text.`))?.page;
    expect(pageOf(1)).toBe(1);
    expect(pageOf(7)).toBe(7);
    expect(pageOf(14)).toBe(14);
  });
});

describe("failures", () => {
  it("fails a corrupt PDF at once, without retries, with a clear errorMessage", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, buildCorruptPdf(), { filename: "bad.pdf", type: "application/pdf" });
    await step(job.id);
    const failed = await getJob(t, P, job.id);
    expect(failed).toMatchObject({ status: "FAILED", stage: "EXTRACTING", canonicalDocumentId: null });
    expect(failed.errorMessage).toMatch(/corrupt/i);
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]).toMatchObject({ stage: "EXTRACTING", code: "PDF_CORRUPT" });
    expect(failed.completedAt).toBeTruthy();
  });

  it("fails an encrypted PDF at once", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, buildEncryptedPdf(), { filename: "locked.pdf", type: "application/pdf" });
    await step(job.id);
    const failed = await getJob(t, P, job.id);
    expect(failed.status).toBe("FAILED");
    expect(failed.errors.map((e) => e.code)).toEqual(["PDF_ENCRYPTED"]);
    expect(failed.errorMessage).toMatch(/encrypted/i);
  });

  it("retries a transient failure with backoff, then succeeds", async () => {
    const t = await token({ projects: [P] });
    const body = "Some text that will be read twice. ".repeat(50);
    const job = await createJob(t, P, body);
    const key = `sources/${P}/${job.id}`;
    const saved = await (await env.BUCKET.get(key))!.arrayBuffer();
    await env.BUCKET.delete(key);
    await step(job.id);
    const retrying = await getJob(t, P, job.id);
    expect(retrying).toMatchObject({ status: "RUNNING", stage: "EXTRACTING", attempts: 2 });
    expect(retrying.errors).toHaveLength(1);
    expect(retrying.errors[0]!.code).toBe("SOURCE_UNAVAILABLE");
    const next = await runInDurableObject(jobStub(job.id), (_i: IngestJob, s) => s.storage.getAlarm());
    expect(next).not.toBeNull();
    await env.BUCKET.put(key, saved);
    const done = await runToEnd(t, job);
    expect(done.status).toBe("COMPLETED");
    expect(done.errors).toHaveLength(1);
  });

  it("fails the job after STAGE_MAX_ATTEMPTS tries, one errors[] entry per try, and leaves no alarm", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "doomed text");
    await env.BUCKET.delete(`sources/${P}/${job.id}`);
    await drive(job.id);
    const failed = await getJob(t, P, job.id);
    expect(failed.status).toBe("FAILED");
    expect(failed.errors).toHaveLength(5);
    expect(failed.errors.every((e) => e.code === "SOURCE_UNAVAILABLE" && e.stage === "EXTRACTING")).toBe(true);
    expect(failed.errorMessage).toMatch(/could not be read/);
    const alarm = await runInDurableObject(jobStub(job.id), (_i: IngestJob, s) => s.storage.getAlarm());
    expect(alarm).toBeNull();
  });
});

describe("retries per slice", () => {
  it("counts the tries of each slice on its own: failures in two stages do not add up", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "Retry me. ".repeat(500));
    const key = `sources/${P}/${job.id}`;
    const saved = await (await env.BUCKET.get(key))!.arrayBuffer();
    await env.BUCKET.delete(key);
    for (let i = 0; i < 3; i++) await step(job.id); // three failed reads (R2)
    await env.BUCKET.put(key, saved);
    await stepUntil(job.id, tableStored);
    await projectDb(env, P).exec("ALTER TABLE documents RENAME TO documents_offline");
    try {
      for (let i = 0; i < 3; i++) await step(job.id); // three failed document-row writes (D1)
    } finally {
      await projectDb(env, P).exec("ALTER TABLE documents_offline RENAME TO documents");
    }
    const mid = await getJob(t, P, job.id);
    expect(mid.status).toBe("RUNNING");
    expect(mid.errors.map((e) => e.stage)).toEqual(["EXTRACTING", "EXTRACTING", "EXTRACTING", "INDEXING", "INDEXING", "INDEXING"]);
    const done = await runToEnd(t, job);
    expect(done.status).toBe("COMPLETED");
    const doc = await (await call(docsPath(done.canonicalDocumentId!), { token: t })).json<{ chunkCount: number }>();
    expect(doc.chunkCount).toBe(done.counters.chunksCreated);
    expect((await allChunks(t, P, done.canonicalDocumentId!)).length).toBe(done.counters.chunksCreated);
  });
});

describe("idempotent, resumable slices", () => {
  it("produces no duplicate chunks when the same alarm runs twice", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "Paragraph of text for chunks. ".repeat(3000), { query: { chunkSize: "200", chunkOverlap: "20" } });
    // Step until the text is in R2; the next step writes the chunk table.
    const before = await stepUntil(job.id, textStored);
    await step(job.id); // writes the chunk table and checkpoints
    // Replay that same slice: put the checkpoint back as if the commit had been lost.
    await runInDurableObject(jobStub(job.id), (_i: IngestJob, s) => {
      s.storage.sql.exec("UPDATE pipeline SET data = ? WHERE k = 1", JSON.stringify(before));
    });
    await step(job.id);
    const done = await runToEnd(t, job);
    expect(done.status).toBe("COMPLETED");
    const chunks = await allChunks(t, P, done.canonicalDocumentId!);
    expect(chunks.map((c) => c.ordinal)).toEqual(chunks.map((_, i) => i));
    expect(chunks.length).toBe(done.counters.chunksCreated);
    const text = await (await call(`${docsPath(done.canonicalDocumentId!)}/text`, { token: t })).text();
    for (const c of chunks) expect(c.text).toBe(text.slice(c.charStart, c.charEnd));
  });

  it("resumes from its checkpoint after eviction between every slice, producing the same chunks", async () => {
    const t = await token({ projects: [P] });
    const text = Array.from({ length: 400 }, (_, i) => `## Part ${i}\n\n${"Words in a sentence here. ".repeat(30)}\n`).join("\n");
    const bytes = new TextEncoder().encode(text);
    const steady = await createJob(t, P, bytes, { filename: "a.md", type: "text/markdown" });
    const evicted = await createJob(t, P, bytes, { filename: "a.md", type: "text/markdown" });
    const a = await runToEnd(t, steady);
    let runs = 0;
    while (await step(evicted.id)) {
      runs++;
      await evictDurableObject(jobStub(evicted.id));
    }
    expect(runs).toBeGreaterThan(3);
    const b = await getJob(t, P, evicted.id);
    expect(b.status).toBe("COMPLETED");
    const strip = (cs: ChunkItem[]) => cs.map(({ ordinal, charStart, charEnd, contentHash, page }) => ({ ordinal, charStart, charEnd, contentHash, page }));
    const ca = await allChunks(t, P, a.canonicalDocumentId!);
    const cb = await allChunks(t, P, b.canonicalDocumentId!);
    expect(ca.length).toBeGreaterThan(10);
    expect(strip(cb)).toEqual(strip(ca));
  });
});

describe("cancel during a slice", () => {
  it("commits nothing of a slice that was running when the cancel arrived", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "Text to extract. ".repeat(200_000));
    await step(job.id); // QUEUED → RUNNING, first range extracted
    const before = await getJob(t, P, job.id);
    const result = await runInDurableObject(jobStub(job.id), async (instance: IngestJob, state) => {
      const slice = instance.alarm(); // runs until its first await (the R2 read)
      const cancelled = await instance.cancel({ principal: { sub: "alice", roles: ["editor"], projects: [P] } });
      await slice;
      const lastEvent = state.storage.sql.exec<{ type: string }>("SELECT type FROM events ORDER BY seq DESC LIMIT 1").toArray()[0];
      return { cancelled, lastEvent, alarm: await state.storage.getAlarm() };
    });
    expect(result.cancelled.ok).toBe(true);
    expect(result.lastEvent!.type).toBe("job.cancelled");
    await drive(job.id); // the clean-up
    const after = await getJob(t, P, job.id);
    expect(after.status).toBe("CANCELLED");
    expect(after.progress).toBe(before.progress);
    expect(after.counters).toEqual(before.counters);
    expect(await runInDurableObject(jobStub(job.id), (_i: IngestJob, s) => s.storage.getAlarm())).toBeNull();
  });

  it("removes the text and chunk table an indexing slice wrote before the cancel, and never shows a document", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "Chunk me please. ".repeat(20_000), { query: { chunkSize: "100", chunkOverlap: "0" } });
    const cp = await stepUntil(job.id, textStored);
    await runInDurableObject(jobStub(job.id), async (instance: IngestJob) => {
      const slice = instance.alarm(); // writes the chunk table to R2
      await instance.cancel({ principal: { sub: "alice", roles: ["editor"], projects: [P] } });
      await slice;
    });
    expect((await documentObjects(cp.documentId)).length).toBeGreaterThan(0); // until the clean-up runs
    await drive(job.id);
    expect(await documentObjects(cp.documentId)).toEqual([]);
    expect((await call(docsPath(cp.documentId), { token: t })).status).toBe(404);
    const after = await getJob(t, P, job.id);
    expect(after).toMatchObject({ status: "CANCELLED", canonicalDocumentId: null });
  });
});
