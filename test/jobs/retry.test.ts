import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { projectDb } from "../../src/db/shards";
import type { IngestJob } from "../../src/jobs/ingest-job";
import type { Job } from "../../src/jobs/lifecycle";
import { buildCorruptPdf } from "../fixtures/pdf";
import { allChunks, call, createJob, drive, getJob, jobStub, jobsPath, problem, step, token } from "../helpers";

const P = "proj_retry";
const TEXT = "A paragraph that is chunked and indexed, then retried. ".repeat(400);
const retryPath = (id: string) => `${jobsPath(P)}/${id}/retry`;

type Upload = { complete: boolean } | null;

async function checkpoint(jobId: string): Promise<({ stage: string; documentId: string; tableUpload: Upload } & Record<string, unknown>) | null> {
  return runInDurableObject(jobStub(jobId), (_i: IngestJob, state) => {
    // The pipeline's tables exist once the job's first slice has run.
    if (!state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'pipeline'").toArray().length) return null;
    const row = state.storage.sql.exec<{ data: string }>("SELECT data FROM pipeline").toArray()[0];
    return row ? JSON.parse(row.data) : null;
  });
}

async function events(t: string, jobId: string): Promise<{ type: string; job: { stage: string } }[]> {
  return (await (await call(`${jobsPath(P)}/${jobId}/events`, { token: t })).json<{ items: { type: string; job: { stage: string } }[] }>()).items;
}

/** A job that failed in INDEXING (its document row could not be written, STAGE_MAX_ATTEMPTS times) after its chunk table was stored. */
async function failedInIndexing(t: string): Promise<Job> {
  const job = await createJob(t, P, TEXT, { query: { chunkSize: "300", chunkOverlap: "30" } });
  for (;;) {
    const cp = await checkpoint(job.id);
    if (cp?.stage === "INDEXING" && cp.tableUpload?.complete) break;
    if (!(await step(job.id))) throw new Error("the job finished before its chunk table was stored");
  }
  await projectDb(env, P).exec("ALTER TABLE documents RENAME TO documents_offline");
  try {
    while ((await getJob(t, P, job.id)).status === "RUNNING") await step(job.id);
  } finally {
    await projectDb(env, P).exec("ALTER TABLE documents_offline RENAME TO documents");
  }
  await drive(job.id); // whatever the failed job's clean-up does, with D1 back
  return getJob(t, P, job.id);
}

describe("POST /jobs/{jobId}/retry", () => {
  it("resumes a job that failed in INDEXING from its checkpoint: earlier stages are not redone, and the document equals a reference job's", async () => {
    const t = await token({ projects: [P] });
    const failed = await failedInIndexing(t);
    expect(failed).toMatchObject({ status: "FAILED", stage: "INDEXING" });
    expect(failed.errors.at(-1)?.code).toBe("TRANSIENT");
    const kept = await checkpoint(failed.id);
    expect(kept).toMatchObject({ stage: "INDEXING", tableUpload: { complete: true } });
    const before = await events(t, failed.id);

    const res = await call(retryPath(failed.id), { method: "POST", token: t });
    expect(res.status).toBe(200);
    const retried = await res.json<Job>();
    expect(retried).toMatchObject({ status: "RUNNING", stage: "INDEXING", attempts: 1, errorMessage: null, completedAt: null });
    const listed = await (await call(`${jobsPath(P)}?status=RUNNING`, { token: t })).json<{ items: Job[] }>();
    expect(listed.items.map((j) => j.id)).toContain(failed.id);

    await drive(failed.id);
    const done = await getJob(t, P, failed.id);
    expect(done).toMatchObject({ status: "COMPLETED", stage: "DONE", canonicalDocumentId: kept!.documentId });
    expect(done.counters).toEqual({ ...failed.counters, chunksIndexed: done.counters.chunksIndexed });
    const after = (await events(t, failed.id)).slice(before.length);
    expect(after[0]?.type).toBe("job.retried");
    // Nothing of EXTRACTING or CHUNKING again: no stage change but the end, no progress outside INDEXING.
    expect(after.filter((e) => e.type === "job.stage" || e.type === "job.started")).toEqual([]);
    expect(after.filter((e) => e.type === "job.progress").every((e) => e.job.stage === "INDEXING")).toBe(true);
    expect(after.at(-1)?.type).toBe("job.completed");

    const reference = await createJob(t, P, TEXT, { query: { chunkSize: "300", chunkOverlap: "30" } });
    await drive(reference.id);
    const refDone = await getJob(t, P, reference.id);
    const doc = async (id: string) => (await call(`/api/projects/${P}/documents/${id}`, { token: t })).json<{ contentHash: string; chunkCount: number }>();
    const [mine, theirs] = await Promise.all([doc(done.canonicalDocumentId!), doc(refDone.canonicalDocumentId!)]);
    expect(mine.contentHash).toBe(theirs.contentHash);
    expect(mine.chunkCount).toBe(theirs.chunkCount);
    const text = (chunks: { text: string }[]) => chunks.map((c) => c.text);
    expect(text(await allChunks(t, P, done.canonicalDocumentId!))).toEqual(text(await allChunks(t, P, refDone.canonicalDocumentId!)));
  });

  it("returns 400 naming the status for a COMPLETED job, and leaves it unchanged", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "complete me");
    await drive(job.id);
    const res = await call(retryPath(job.id), { method: "POST", token: t });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toMatch(/Only a FAILED job can be retried\. Current status: COMPLETED/);
    expect((await getJob(t, P, job.id)).status).toBe("COMPLETED");
  });

  it("returns 400 naming the code and why for a LIMIT_EXCEEDED job", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "# Heading\n".repeat(10));
    await forceFailure(job.id, "LIMIT_EXCEEDED", "more than 10 chunks");
    const res = await call(retryPath(job.id), { method: "POST", token: t });
    expect(res.status).toBe(400);
    const detail = (await problem(res)).detail;
    expect(detail).toMatch(/LIMIT_EXCEEDED/);
    expect(detail).toMatch(/exceeds a configured limit/);
    expect((await getJob(t, P, job.id)).status).toBe("FAILED");
  });

  it("returns 400 for a corrupt PDF: the same file fails the same way", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, buildCorruptPdf(), { filename: "broken.pdf", type: "application/pdf" });
    await drive(job.id);
    expect((await getJob(t, P, job.id)).status).toBe("FAILED");
    const res = await call(retryPath(job.id), { method: "POST", token: t });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toMatch(/PDF_CORRUPT.*damaged/);
  });

  it("lets an editor retry its own job, a dispatcher any job; not another editor or a viewer", async () => {
    const owner = await token({ sub: "ed-1", roles: ["editor"], projects: [P] });
    const failed = await failedBySourceRead(owner);
    const other = await token({ sub: "ed-2", roles: ["editor"], projects: [P] });
    const viewer = await token({ sub: "v", roles: ["viewer"], projects: [P] });
    const dispatcher = await token({ sub: "d", roles: ["dispatcher"], projects: [P] });
    expect((await call(retryPath(failed.id), { method: "POST", token: viewer })).status).toBe(403);
    expect((await call(retryPath(failed.id), { method: "POST", token: other })).status).toBe(403);
    expect((await call(retryPath(failed.id), { method: "POST", token: dispatcher })).status).toBe(200);
    const second = await failedBySourceRead(owner);
    expect((await call(retryPath(second.id), { method: "POST", token: owner })).status).toBe(200);
  });

  it("resumes a job whose source could not be read once the source is back", async () => {
    const t = await token({ projects: [P] });
    const key = (id: string) => `sources/${P}/${id}`;
    const failed = await failedBySourceRead(t, async (id, saved) => void (await env.BUCKET.put(key(id), saved)));
    expect((await call(retryPath(failed.id), { method: "POST", token: t })).status).toBe(200);
    await drive(failed.id);
    expect((await getJob(t, P, failed.id)).status).toBe("COMPLETED");
  });
});

/** A job that failed with SOURCE_UNAVAILABLE (its upload removed); `restore` puts the bytes back afterwards. */
async function failedBySourceRead(t: string, restore?: (id: string, saved: ArrayBuffer) => Promise<void>): Promise<Job> {
  const job = await createJob(t, P, "Source text to read again. ".repeat(20));
  const key = `sources/${P}/${job.id}`;
  const saved = await (await env.BUCKET.get(key))!.arrayBuffer();
  await env.BUCKET.delete(key);
  await drive(job.id);
  const failed = await getJob(t, P, job.id);
  expect(failed).toMatchObject({ status: "FAILED", errors: expect.arrayContaining([expect.objectContaining({ code: "SOURCE_UNAVAILABLE" })]) });
  await (restore ?? ((id, bytes) => env.BUCKET.put(`sources/${P}/${id}`, bytes).then(() => undefined)))(job.id, saved);
  return failed;
}

/** Fails a queued job with `code`, as a slice's permanent failure would (no stage of the pipeline produces a limit this small). */
async function forceFailure(jobId: string, code: string, message: string): Promise<void> {
  const { failJob } = await import("../../src/jobs/lifecycle");
  await runInDurableObject(jobStub(jobId), (instance: IngestJob) => {
    const host = instance as unknown as { store: { job(): Job }; commit(t: unknown): void; timers: { unschedule(k: string): void } };
    const result = failJob(host.store.job(), { code, message }, new Date());
    if (!result.ok) throw new Error(`cannot fail the job: ${result.reason}`);
    host.timers.unschedule("slice");
    host.commit(result);
  });
}
