/**
 * A held item starts from its own creation report when a slot is free: the batch's reply
 * tells the job to start, and no `admit` request follows. Items past BATCH_CONCURRENCY
 * stay held until a slot frees up. A repeated report (its first reply lost) hears
 * "start" again and changes no count.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { itemReport } from "../../src/jobs/batch-link";
import type { Job } from "../../src/jobs/lifecycle";
import { drive, scheduledKinds, token } from "../helpers";
import { addItem, allItems, batchStub, batchesPath, createBatch, driveBatch, expectCountsAddUp, getBatch, post } from "./helpers";

const P = "start-on-report";

/** Items whose start the batch has not finished (a job still to admit). */
function pendingStarts(batchId: string): Promise<number> {
  return runInDurableObject(
    batchStub(batchId),
    (_b, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM items WHERE pending IS NOT NULL").one().n,
  );
}

describe("an upload batch's held items", () => {
  it("take a free slot at once, wait held once the batch's slots are taken, and take the next slot that frees up", async () => {
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    const jobs: Job[] = [];
    for (let i = 0; i < 10; i++) jobs.push(await (await addItem(t, P, batch.id, `item ${i} text`, `f${i}.txt`)).json<Job>());

    // The first 8 took a slot: each job has its first slice scheduled, and the batch has
    // no start left to finish.
    for (const job of jobs.slice(0, 8)) expect(await scheduledKinds(job.id)).toContain("slice");
    expect(await pendingStarts(batch.id)).toBe(0);
    // The other two wait QUEUED with no slice of their own.
    for (const job of jobs.slice(8)) expect(await scheduledKinds(job.id)).not.toContain("slice");
    expect((await getBatch(t, P, batch.id)).counts).toMatchObject({ total: 10, running: 8, queued: 2 });
    const queued = await allItems(t, P, batch.id, "QUEUED");
    expect(queued.map((i) => i.jobId).sort()).toEqual(
      jobs
        .slice(8)
        .map((j) => j.id)
        .sort(),
    );

    // One item ends: its slot goes to the next queued item (admitted by the batch).
    await drive(jobs[0]!.id);
    await expect.poll(() => scheduledKinds(jobs[8]!.id)).toContain("slice");
    expect((await getBatch(t, P, batch.id)).counts).toMatchObject({ total: 10, completed: 1, running: 8, queued: 1 });

    await post(t, `${batchesPath(P)}/${batch.id}/close`);
    const done = await driveBatch(t, P, batch.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.counts).toMatchObject({ total: 10, completed: 10 });
    await expectCountsAddUp(t, P, batch.id);
  });

  it("hear 'start' again when a creation report is repeated (its reply lost), and no count moves", async () => {
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    const job = await (await addItem(t, P, batch.id, "one item", "one.txt")).json<Job>();
    const before = (await getBatch(t, P, batch.id)).counts;
    expect(before).toMatchObject({ total: 1, running: 1 });

    const again = await batchStub(batch.id).itemReport(itemReport(job));
    expect(again).toEqual({ accepted: true, start: true });
    expect((await getBatch(t, P, batch.id)).counts).toEqual(before);

    // Once the job has ended, its report records the end once; a repeat changes nothing.
    await drive(job.id);
    const ended = await getBatch(t, P, batch.id);
    expect(ended.counts).toMatchObject({ total: 1, completed: 1, running: 0 });
    const repeat = await batchStub(batch.id).itemReport(itemReport({ ...job, status: "COMPLETED", progress: 1 }));
    expect(repeat).toEqual({ accepted: true });
    expect((await getBatch(t, P, batch.id)).counts).toEqual(ended.counts);
  });

  it("never start from a report once their batch is cancelled", async () => {
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    const job = await (await addItem(t, P, batch.id, "one item", "one.txt")).json<Job>();
    expect((await post(t, `${batchesPath(P)}/${batch.id}/cancel`)).status).toBe(200);
    const reply = await batchStub(batch.id).itemReport(itemReport(job));
    expect(reply.start).toBeUndefined();
    await expectCountsAddUp(t, P, batch.id);
  });
});
