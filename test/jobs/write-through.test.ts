import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { IngestJob } from "../../src/jobs/ingest-job";
import type { Job } from "../../src/jobs/lifecycle";
import { allChunks, call, createJob, drive, getJob, jobStub, sha256Hex, step, token, type ChunkItem } from "../helpers";

const P = "proj_write_through";
const MiB = 1 << 20;

type Parts = { uploadId: string | null; parts: unknown[]; written: number; complete: boolean } | null;

/** The job's checkpoint and how many text bytes wait in its SQLite, or null before its first slice. */
async function inside(jobId: string): Promise<{ stage: string; textParts?: Parts; tailBytes: number } | null> {
  return runInDurableObject(jobStub(jobId), (_i: IngestJob, state) => {
    if (!state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'pipeline'").toArray().length) return null;
    const row = state.storage.sql.exec<{ data: string }>("SELECT data FROM pipeline").toArray()[0];
    const tail = state.storage.sql.exec<{ n: number }>("SELECT coalesce(sum(length(bytes)), 0) AS n FROM text_tail").one().n;
    return row ? { ...JSON.parse(row.data), tailBytes: tail } : null;
  });
}

/** Markdown of about `bytes` bytes, with headings, multi-byte characters and no two paragraphs alike. */
function markdown(bytes: number): string {
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const block =
      i % 7 === 0
        ? `## Section ${i} — naïve café ${"é".repeat(i % 5)}\n\n`
        : `Paragraph ${i} says something, in a sentence or two. ${"Words here. ".repeat(20 + (i % 13))}\n\n`;
    out.push(block);
    size += block.length + 8;
  }
  return out.join("");
}

async function documentOf(t: string, job: Job) {
  const done = await getJob(t, P, job.id);
  expect(done.status).toBe("COMPLETED");
  const id = done.canonicalDocumentId!;
  const doc = await (await call(`/api/projects/${P}/documents/${id}`, { token: t })).json<{
    contentHash: string;
    characterCount: number;
    chunkCount: number;
  }>();
  const text = new Uint8Array(await (await call(`/api/projects/${P}/documents/${id}/text`, { token: t })).arrayBuffer());
  const strip = (cs: ChunkItem[]) => cs.map(({ ordinal, charStart, charEnd, contentHash, page }) => ({ ordinal, charStart, charEnd, contentHash, page }));
  return { doc, text, chunks: strip(await allChunks(t, P, id)) };
}

describe("text written through to R2 while it is extracted", () => {
  it("gives a byte-identical document when the object is evicted after every slice, between and across 5 MiB parts", async () => {
    const t = await token({ projects: [P] });
    const bytes = new TextEncoder().encode(markdown(11 * MiB + 12345));
    const reference = await createJob(t, P, bytes, { filename: "big.md", type: "text/markdown" });
    const evicted = await createJob(t, P, bytes, { filename: "big.md", type: "text/markdown" });
    await drive(reference.id);

    let betweenParts = 0;
    let maxTail = 0;
    while (await step(evicted.id)) {
      const cp = await inside(evicted.id);
      if (cp?.stage === "EXTRACTING" && cp.textParts?.parts.length && !cp.textParts.complete) betweenParts++;
      maxTail = Math.max(maxTail, cp?.tailBytes ?? 0);
      await evictDurableObject(jobStub(evicted.id));
    }
    // Evicted with parts uploaded and the text unfinished, more than once; the text kept in
    // SQLite never grew past a part and a slice.
    expect(betweenParts).toBeGreaterThan(2);
    expect(maxTail).toBeGreaterThan(0);
    expect(maxTail).toBeLessThan(5 * MiB + 2 * MiB);

    const a = await documentOf(t, reference);
    const b = await documentOf(t, evicted);
    expect(b.text.length).toBe(a.text.length);
    expect(Buffer.from(b.text).equals(Buffer.from(a.text))).toBe(true);
    expect(b.doc).toMatchObject({ contentHash: a.doc.contentHash, characterCount: a.doc.characterCount, chunkCount: a.doc.chunkCount });
    expect(a.doc.contentHash).toBe(await sha256Hex(new TextDecoder().decode(a.text)));
    expect(b.chunks).toEqual(a.chunks);
    expect(a.chunks.length).toBeGreaterThan(1000);
    // Nothing of the text is left in the object once it completed.
    expect((await inside(evicted.id))?.tailBytes ?? 0).toBe(0);
  }, 120_000);
});

describe("a job begun before text was written through", () => {
  it("finishes from its stored segments after a deploy, with the same document as a job written through", async () => {
    const t = await token({ projects: [P] });
    const bytes = new TextEncoder().encode(markdown(2 * MiB + 4321));
    const reference = await createJob(t, P, bytes, { filename: "old.md", type: "text/markdown" });
    // A deep scan keeps its text as segments: its first slice leaves the layout an older
    // version left for every job. Made a plain job again, it is what such a version's
    // object holds after a deploy: mid-EXTRACTING, segments and no upload in the checkpoint.
    const staged = await createJob(t, P, bytes, { filename: "old.md", type: "text/markdown", query: { isDeepScan: "true" } });
    await step(staged.id);
    const before = await inside(staged.id);
    expect(before).toMatchObject({ stage: "EXTRACTING" });
    expect(before?.textParts ?? null).toBeNull();
    await runInDurableObject(jobStub(staged.id), (_i: IngestJob, state) => {
      expect(state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM text_segments").one().n).toBeGreaterThan(0);
      state.storage.sql.exec("UPDATE job SET data = json_set(data, '$.isDeepScan', json('false')) WHERE k = 1");
    });
    await evictDurableObject(jobStub(staged.id));
    await drive(reference.id);
    await drive(staged.id);
    const a = await documentOf(t, reference);
    const b = await documentOf(t, staged);
    expect(Buffer.from(b.text).equals(Buffer.from(a.text))).toBe(true);
    expect(b.doc).toMatchObject({ contentHash: a.doc.contentHash, characterCount: a.doc.characterCount, chunkCount: a.doc.chunkCount });
    expect(b.chunks).toEqual(a.chunks);
  }, 60_000);
});
