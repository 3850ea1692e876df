import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config";
import { drive, hubStub, stepHub, token } from "../helpers";
import { addItem, allItems, batchesPath, batchStub, createBatch, expectCountsAddUp, getBatch, post } from "./helpers";

const STALL_AFTER_MS = loadConfig(env).stallAfterMs;
const MAX_ATTEMPTS = loadConfig(env).stageMaxAttempts;

function batchAlarm(batchId: string): Promise<number | null> {
  return runInDurableObject(batchStub(batchId), (_b, state) => state.storage.getAlarm());
}

/** The batches the project's hub watches, with their nudges. */
function watched(projectId: string): Promise<Record<string, number>> {
  return runInDurableObject(hubStub(projectId), (_hub, state) =>
    Object.fromEntries(
      state.storage.sql
        .exec<{ batch_id: string; nudges: number }>("SELECT batch_id, nudges FROM active_batches")
        .toArray()
        .map((r) => [r.batch_id, r.nudges]),
    ),
  );
}

/** A closed batch of one item, once the batch has let the item start. */
async function batchWithOneItem(t: string, projectId: string) {
  const batch = await createBatch(t, projectId);
  const item = await (await addItem(t, projectId, batch.id, "one item that runs once the batch lets it", "one.txt")).json<{ id: string }>();
  await post(t, `${batchesPath(projectId)}/${batch.id}/close`);
  await vi.waitFor(async () => expect((await getBatch(t, projectId, batch.id)).counts.running).toBe(1));
  return { batch, itemId: item.id };
}

describe("project hub: batches that stop moving", () => {
  it("re-arms a batch whose dispatch and alarm were lost behind its back, and the batch finishes", async () => {
    const P = "proj_batch_stall_rearm";
    const t = await token({ projects: [P] });
    const { batch, itemId } = await batchWithOneItem(t, P);
    // The batch forgets it let the item start, and its alarm is gone: nothing would ever start it.
    await runInDurableObject(batchStub(batch.id), async (_b, state) => {
      state.storage.sql.exec("UPDATE items SET state = 'QUEUED', pending = NULL WHERE id = ?", itemId);
      state.storage.sql.exec("DELETE FROM work");
      await state.storage.deleteAlarm();
    });
    expect(await batchAlarm(batch.id)).toBeNull();
    expect(Object.keys(await watched(P))).toContain(batch.id);

    expect(await stepHub(P, STALL_AFTER_MS + 1_000)).toBe(true);

    await vi.waitFor(async () => expect((await getBatch(t, P, batch.id)).counts).toMatchObject({ queued: 0, running: 1 }));
    await drive(itemId);
    await vi.waitFor(async () => expect((await getBatch(t, P, batch.id)).status).toBe("COMPLETED"));
    const done = await expectCountsAddUp(t, P, batch.id);
    expect(done.counts).toMatchObject({ total: 1, completed: 1 });
    await vi.waitFor(async () => expect(Object.keys(await watched(P))).not.toContain(batch.id));
  });

  it("records an item's end the batch never heard of, and the batch finishes", async () => {
    const P = "proj_batch_stall_missed";
    const t = await token({ projects: [P] });
    const { batch, itemId } = await batchWithOneItem(t, P);
    await drive(itemId);
    await vi.waitFor(async () => expect((await getBatch(t, P, batch.id)).status).toBe("COMPLETED"));
    // As if the job's report had been lost: the batch still has its item running, and no alarm.
    await runInDurableObject(batchStub(batch.id), async (b, state) => {
      const row = state.storage.sql.exec<{ data: string }>("SELECT data FROM batch").one();
      const record = { ...JSON.parse(row.data), status: "RUNNING", completedAt: null };
      state.storage.sql.exec("UPDATE batch SET data = ?", JSON.stringify(record));
      state.storage.sql.exec("UPDATE items SET state = 'RUNNING' WHERE id = ?", itemId);
      state.storage.sql.exec("DELETE FROM work");
      (b as unknown as { store: { cached: unknown } }).store.cached = undefined;
      await state.storage.deleteAlarm();
    });
    await runInDurableObject(hubStub(P), (_hub, state) => {
      state.storage.sql.exec("INSERT OR REPLACE INTO active_batches (batch_id, heard_at) VALUES (?, ?)", batch.id, Date.now());
    });
    expect((await getBatch(t, P, batch.id)).status).toBe("RUNNING");

    expect(await stepHub(P, STALL_AFTER_MS + 1_000)).toBe(true);

    await vi.waitFor(async () => expect((await getBatch(t, P, batch.id)).status).toBe("COMPLETED"));
    expect((await expectCountsAddUp(t, P, batch.id)).counts).toMatchObject({ total: 1, completed: 1, running: 0 });
  });

  it("leaves alone a batch whose items are running in their jobs (each job is watched on its own)", async () => {
    const P = "proj_batch_stall_waiting";
    const t = await token({ projects: [P] });
    const { batch } = await batchWithOneItem(t, P);
    for (let n = 1; n <= 2; n++) {
      await stepHub(P, n * (STALL_AFTER_MS + 1_000));
      expect((await watched(P))[batch.id]).toBe(0);
    }
    expect(await getBatch(t, P, batch.id)).toMatchObject({ status: "RUNNING", counts: { running: 1 } });
  });

  it("fails a batch STALLED once STAGE_MAX_ATTEMPTS nudges did not make it move: its stuck item fails, its queued ones never start", async () => {
    const P = "proj_batch_stall_fail";
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    await post(t, `${batchesPath(P)}/${batch.id}/close`);
    // An item whose job does not exist: its start fails however often it is tried.
    const ghost = crypto.randomUUID();
    await runInDurableObject(batchStub(batch.id), async (b, state) => {
      state.storage.sql.exec(
        "INSERT INTO items (id, ordinal, ref, state, has_job, updated_at) VALUES (?, 1, 'ghost.txt', 'QUEUED', 1, ?)",
        ghost,
        new Date().toISOString(),
      );
      const row = state.storage.sql.exec<{ data: string }>("SELECT data FROM batch").one();
      state.storage.sql.exec("UPDATE batch SET data = ?", JSON.stringify({ ...JSON.parse(row.data), status: "RUNNING" }));
      (b as unknown as { store: { cached: unknown } }).store.cached = undefined;
    });
    await runInDurableObject(hubStub(P), (_hub, state) => {
      state.storage.sql.exec("INSERT OR REPLACE INTO active_batches (batch_id, heard_at) VALUES (?, ?)", batch.id, Date.now());
    });

    for (let n = 1; n <= MAX_ATTEMPTS; n++) {
      await stepHub(P, n * (STALL_AFTER_MS + 1_000));
      // The batch's own alarm runs what the nudge re-armed: the item's start, which fails again.
      await runDurableObjectAlarm(batchStub(batch.id));
      expect((await watched(P))[batch.id]).toBe(n);
      expect((await getBatch(t, P, batch.id)).status).toBe("RUNNING");
    }
    await stepHub(P, (MAX_ATTEMPTS + 1) * (STALL_AFTER_MS + 1_000));

    const failed = await expectCountsAddUp(t, P, batch.id);
    expect(failed).toMatchObject({ status: "FAILED", counts: { total: 1, failed: 1, running: 0, queued: 0 } });
    expect(failed.errors[0]).toMatchObject({ stage: "BATCH", code: "STALLED" });
    expect(failed.errors[0]!.message).toMatch(/stopped moving/);
    const items = await allItems(t, P, batch.id);
    expect(items[0]).toMatchObject({ id: ghost, status: "FAILED", error: { code: "STALLED" } });
    await vi.waitFor(async () => expect(Object.keys(await watched(P))).not.toContain(batch.id));
  });
});
