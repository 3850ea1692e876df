import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildCorruptPdf } from "../fixtures/pdf";
import { call, drive, getJob, jobsPath, problem, token } from "../helpers";
import { addItem, allItems, batchesPath, createBatch, driveBatch, evictBatch, expectCountsAddUp, getBatch, post } from "./helpers";

const P = "proj_batch_retry";
const sourceKey = (jobId: string) => `sources/${P}/${jobId}`;

/** Adds a text item whose stored upload is taken away, so its job fails SOURCE_UNAVAILABLE (a failure a retry can mend); returns its id and bytes. */
async function unreadableItem(t: string, batchId: string, name: string): Promise<{ id: string; bytes: ArrayBuffer }> {
  const res = await addItem(t, P, batchId, `Words of ${name} that come back once storage answers again. `.repeat(10), name);
  expect(res.status).toBe(201);
  const { id } = await res.json<{ id: string }>();
  const bytes = await (await env.BUCKET.get(sourceKey(id)))!.arrayBuffer();
  await env.BUCKET.delete(sourceKey(id));
  return { id, bytes };
}

async function jobEvents(t: string, jobId: string): Promise<string[]> {
  const log = await (await call(`${jobsPath(P)}/${jobId}/events`, { token: t })).json<{ items: { type: string }[] }>();
  return log.items.map((e) => e.type);
}

async function listedJobs(t: string, batchId: string): Promise<string[]> {
  const page = await (await call(`${jobsPath(P)}?batchId=${batchId}&limit=100`, { token: t })).json<{ items: { id: string }[] }>();
  return page.items.map((j) => j.id).sort();
}

/** A closed batch of a good file, a corrupt PDF and an unreadable file, driven to its end. */
async function mixedBatch(t: string) {
  const batch = await createBatch(t, P);
  const good = await (await addItem(t, P, batch.id, "plain words that ingest fine", "good.txt")).json<{ id: string }>();
  const corrupt = await (await addItem(t, P, batch.id, buildCorruptPdf(), "corrupt.pdf", "application/pdf")).json<{ id: string }>();
  const unreadable = await unreadableItem(t, batch.id, "unreadable.txt");
  await post(t, `${batchesPath(P)}/${batch.id}/close`);
  const done = await driveBatch(t, P, batch.id);
  expect(done).toMatchObject({ status: "COMPLETED", counts: { total: 3, completed: 1, failed: 2 } });
  return { batch, good: good.id, corrupt: corrupt.id, unreadable };
}

describe("POST /batches/{id}/retry", () => {
  it("re-runs a failed item with its job's own retry: the same item and job go failed → queued → completed, and a corrupt PDF stays failed", async () => {
    const t = await token({ projects: [P] });
    const { batch, corrupt, unreadable } = await mixedBatch(t);
    const jobsBefore = await listedJobs(t, batch.id);
    await env.BUCKET.put(sourceKey(unreadable.id), unreadable.bytes);

    const res = await post(t, `${batchesPath(P)}/${batch.id}/retry`);
    expect(res.status).toBe(200);
    const retried = await res.json<{ status: string; counts: Record<string, number> }>();
    // The corrupt PDF cannot be mended by a retry: it stays FAILED; the other waits for a slot.
    expect(retried.status).toBe("RUNNING");
    expect(retried.counts).toMatchObject({ total: 3, completed: 1, failed: 1 });
    expect(retried.counts.queued! + retried.counts.running!).toBe(1);
    await expectCountsAddUp(t, P, batch.id);

    const done = await driveBatch(t, P, batch.id, async () => {
      await expectCountsAddUp(t, P, batch.id);
      await evictBatch(batch.id);
    });
    expect(done).toMatchObject({ status: "COMPLETED", counts: { total: 3, completed: 2, failed: 1 } });
    expect(done.errors.map((e) => e.item)).toEqual([corrupt]);
    const items = await allItems(t, P, batch.id);
    expect(items).toHaveLength(3);
    expect(items.find((i) => i.id === unreadable.id)).toMatchObject({ status: "COMPLETED", jobId: unreadable.id, retries: 1, error: null });
    expect(items.find((i) => i.id === corrupt)).toMatchObject({ status: "FAILED", retries: 0 });
    // No new job: the failed job itself ran again, as a user's retry of it would.
    expect(await listedJobs(t, batch.id)).toEqual(jobsBefore);
    const job = await getJob(t, P, unreadable.id);
    expect(job).toMatchObject({ status: "COMPLETED", batchId: batch.id });
    expect(await jobEvents(t, unreadable.id)).toContain("job.retried");
  });

  it("can retry twice: an item that fails again is retried again, still one item and one job", async () => {
    const t = await token({ projects: [P] });
    const { batch, unreadable } = await mixedBatch(t);
    expect((await post(t, `${batchesPath(P)}/${batch.id}/retry`)).status).toBe(200);
    // Its source is still missing: the retried job fails the same way.
    const again = await driveBatch(t, P, batch.id, () => expectCountsAddUp(t, P, batch.id).then(() => undefined));
    expect(again).toMatchObject({ status: "COMPLETED", counts: { total: 3, completed: 1, failed: 2 } });
    await env.BUCKET.put(sourceKey(unreadable.id), unreadable.bytes);
    expect((await post(t, `${batchesPath(P)}/${batch.id}/retry`)).status).toBe(200);
    const done = await driveBatch(t, P, batch.id);
    expect(done).toMatchObject({ status: "COMPLETED", counts: { total: 3, completed: 2, failed: 1 } });
    const items = await allItems(t, P, batch.id);
    expect(items.map((i) => i.id).sort()).toEqual((await listedJobs(t, batch.id)).sort());
    expect(items.find((i) => i.id === unreadable.id)).toMatchObject({ status: "COMPLETED", retries: 2 });
    await expectCountsAddUp(t, P, batch.id);
  });

  it("retries failed items while others still run: the batch keeps RUNNING and ends once all have", async () => {
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    const unreadable = await unreadableItem(t, batch.id, "early.txt");
    await drive(unreadable.id);
    const running = await getBatch(t, P, batch.id);
    expect(running).toMatchObject({ status: "RUNNING", counts: { total: 1, failed: 1 } });
    const later = [];
    for (let i = 0; i < 3; i++) later.push((await (await addItem(t, P, batch.id, `later item ${i} words`, `later-${i}.txt`)).json<{ id: string }>()).id);
    await env.BUCKET.put(sourceKey(unreadable.id), unreadable.bytes);

    const res = await post(t, `${batchesPath(P)}/${batch.id}/retry`);
    expect(res.status).toBe(200);
    expect((await res.json<{ status: string; counts: { failed: number; total: number } }>()).counts).toMatchObject({ total: 4, failed: 0 });
    await expectCountsAddUp(t, P, batch.id);
    await post(t, `${batchesPath(P)}/${batch.id}/close`);
    const done = await driveBatch(t, P, batch.id, () => expectCountsAddUp(t, P, batch.id).then(() => undefined));
    expect(done).toMatchObject({ status: "COMPLETED", counts: { total: 4, completed: 4, failed: 0 } });
    // One batch.started: a retry of a running batch does not start it again.
    const log = await (await call(`${batchesPath(P)}/${batch.id}/events`, { token: t })).json<{ items: { type: string }[] }>();
    expect(log.items.filter((e) => e.type === "batch.started")).toHaveLength(1);
  });

  it("returns 400 saying why when no failed item can be mended, and for a cancelled batch", async () => {
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    await addItem(t, P, batch.id, buildCorruptPdf(), "corrupt.pdf", "application/pdf");
    await post(t, `${batchesPath(P)}/${batch.id}/close`);
    await driveBatch(t, P, batch.id);
    const refused = await problem(await post(t, `${batchesPath(P)}/${batch.id}/retry`));
    expect(refused.status).toBe(400);
    expect(refused.detail).toMatch(/None of the batch's 1 failed items can be mended by a retry/);
    await expectCountsAddUp(t, P, batch.id);

    const cancelled = await createBatch(t, P);
    await post(t, `${batchesPath(P)}/${cancelled.id}/cancel`);
    expect((await problem(await post(t, `${batchesPath(P)}/${cancelled.id}/retry`))).detail).toMatch(/cancelled batch cannot be retried/);
  });

  it("lets an editor retry only its own batch, a dispatcher any; another project's is 404", async () => {
    const t = await token({ projects: [P] });
    const { batch } = await mixedBatch(t);
    const bob = await token({ projects: [P], roles: ["editor"], sub: "bob" });
    const dispatcher = await token({ projects: [P], roles: ["dispatcher"] });
    const outsider = await token({ projects: ["proj_batch_retry_other"], roles: ["admin"] });
    expect((await post(bob, `${batchesPath(P)}/${batch.id}/retry`)).status).toBe(403);
    expect((await post(outsider, `${batchesPath("proj_batch_retry_other")}/${batch.id}/retry`)).status).toBe(404);
    expect((await post(dispatcher, `${batchesPath(P)}/${batch.id}/retry`)).status).toBe(200);
    await expectCountsAddUp(t, P, batch.id);
  });
});

describe("POST /jobs/{id}/retry of a batch's item", () => {
  it("moves the item failed → running and runs an ended batch again until it ends", async () => {
    const t = await token({ projects: [P] });
    const { batch, unreadable } = await mixedBatch(t);
    await env.BUCKET.put(sourceKey(unreadable.id), unreadable.bytes);
    expect((await call(`${jobsPath(P)}/${unreadable.id}/retry`, { method: "POST", token: t })).status).toBe(200);
    const reopened = await expectCountsAddUp(t, P, batch.id);
    expect(reopened).toMatchObject({ status: "RUNNING", counts: { total: 3, completed: 1, failed: 1, running: 1 } });
    const done = await driveBatch(t, P, batch.id);
    expect(done).toMatchObject({ status: "COMPLETED", counts: { total: 3, completed: 2, failed: 1 } });
    await expectCountsAddUp(t, P, batch.id);
  });
});
