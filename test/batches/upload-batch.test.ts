import { describe, expect, it } from "vitest";
import { buildCorruptPdf, buildPdf } from "../fixtures/pdf";
import { call, drive, jobsPath, token } from "../helpers";
import { addItem, allItems, batchesPath, createBatch, driveBatch, evictBatch, expectCountsAddUp, getBatch, post } from "./helpers";

const P = "proj_batch";

describe("POST /batches (upload)", () => {
  it("opens an empty QUEUED batch whose counts add up", async () => {
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    expect(batch).toMatchObject({ kind: "upload", status: "QUEUED", open: true, projectId: P, createdBy: "alice" });
    expect(batch.counts).toEqual({ total: 0, queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0, skipped: 0 });
    await expectCountsAddUp(t, P, batch.id);
  });

  it("returns 400 for an unknown kind", async () => {
    const t = await token({ projects: [P] });
    const res = await call(batchesPath(P), {
      method: "POST",
      token: t,
      body: JSON.stringify({ kind: "ftp" }),
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(400);
  });
});

describe("a mixed upload batch", () => {
  it("ends COMPLETED with the corrupt PDF failed and listed; counts add up after every step, with the object evicted between steps", async () => {
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    await evictBatch(batch.id);
    const good = [];
    for (let i = 0; i < 3; i++) {
      const res = await addItem(t, P, batch.id, `good document number ${i}, with a few words in it.`, `good-${i}.txt`);
      expect(res.status).toBe(201);
      const job = await res.json<{ id: string; batchId: string; status: string }>();
      expect(job.batchId).toBe(batch.id);
      good.push(job.id);
      await expectCountsAddUp(t, P, batch.id);
      await evictBatch(batch.id);
    }
    const pdf = await addItem(t, P, batch.id, buildPdf(["a real page of text"]), "real.pdf", "application/pdf");
    expect(pdf.status).toBe(201);
    const corrupt = await addItem(t, P, batch.id, buildCorruptPdf(), "corrupt.pdf", "application/pdf");
    expect(corrupt.status).toBe(201);
    const corruptJob = await corrupt.json<{ id: string }>();
    // An empty file is refused before it becomes an item.
    const empty = await addItem(t, P, batch.id, "", "empty.txt");
    expect(empty.status).toBe(400);
    expect((await expectCountsAddUp(t, P, batch.id)).counts.total).toBe(5);

    expect((await post(t, `${batchesPath(P)}/${batch.id}/close`)).status).toBe(200);
    const done = await driveBatch(t, P, batch.id, async () => {
      await expectCountsAddUp(t, P, batch.id);
      await evictBatch(batch.id);
    });
    expect(done.status).toBe("COMPLETED");
    expect(done.counts).toMatchObject({ total: 5, completed: 4, failed: 1, queued: 0, running: 0 });
    expect(done.errors).toHaveLength(1);
    expect(done.errors[0]!.item).toBe(corruptJob.id);
    const failed = await allItems(t, P, batch.id, "FAILED");
    expect(failed.map((i) => i.source)).toEqual(["corrupt.pdf"]);
    expect(failed[0]!.error?.message).toBeTruthy();
    await expectCountsAddUp(t, P, batch.id);

    // The batch's jobs are listed by batchId.
    const listed = await call(`${jobsPath(P)}?batchId=${batch.id}`, { token: t });
    expect((await listed.json<{ total: number }>()).total).toBe(5);
    // A closed batch takes no more items.
    const late = await addItem(t, P, batch.id, "too late");
    expect(late.status).toBe(409);
  });
});

describe("BATCH_CONCURRENCY", () => {
  it("never lets more than 8 items run at once, sampled from the items' own events", async () => {
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await (await addItem(t, P, batch.id, `item ${i} text`, `f${i}.txt`)).json<{ id: string }>()).id);
    const b = await getBatch(t, P, batch.id);
    expect(b.counts).toMatchObject({ total: 12, running: 8, queued: 4 });
    await post(t, `${batchesPath(P)}/${batch.id}/close`);
    let maxRunning = 0;
    const sample = async () => {
      let running = 0;
      for (const id of ids) {
        const log = await (await call(`${jobsPath(P)}/${id}/events`, { token: t })).json<{ items: { type: string }[] }>();
        const last = log.items[log.items.length - 1]?.type;
        const started = log.items.some((e) => e.type === "job.started");
        if (started && !["job.completed", "job.failed", "job.cancelled"].includes(last ?? "")) running++;
      }
      maxRunning = Math.max(maxRunning, running);
      expect(running).toBeLessThanOrEqual(8);
    };
    // Step every job one alarm at a time, so several are mid-pipeline together.
    for (let round = 0; round < 100; round++) {
      const current = await getBatch(t, P, batch.id);
      if (current.status === "COMPLETED") break;
      for (const id of ids) await drive(id, 1);
      await sample();
    }
    const done = await expectCountsAddUp(t, P, batch.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.counts.completed).toBe(12);
    expect(maxRunning).toBeGreaterThan(1);
  });
});

describe("POST /batches/{id}/cancel", () => {
  it("ends the batch and every unfinished item CANCELLED; no item starts after the 200", async () => {
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await (await addItem(t, P, batch.id, `cancel me ${i}`, `c${i}.txt`)).json<{ id: string }>()).id);
    await drive(ids[0]!);
    await evictBatch(batch.id);
    const res = await post(t, `${batchesPath(P)}/${batch.id}/cancel`);
    expect(res.status).toBe(200);
    const cancelled = await res.json<{ status: string; counts: Record<string, number> }>();
    expect(cancelled.status).toBe("CANCELLED");
    expect(cancelled.counts).toMatchObject({ total: 10, completed: 1, cancelled: 9, queued: 0, running: 0 });
    await expectCountsAddUp(t, P, batch.id);
    // Driving everything afterwards starts nothing.
    for (const id of ids) await drive(id);
    for (const id of ids.slice(1)) {
      const log = await (await call(`${jobsPath(P)}/${id}/events`, { token: t })).json<{ items: { type: string }[] }>();
      expect(log.items.map((e) => e.type)).not.toContain("job.started");
    }
    await expectCountsAddUp(t, P, batch.id);
    expect((await post(t, `${batchesPath(P)}/${batch.id}/cancel`)).status).toBe(400);
  });
});
