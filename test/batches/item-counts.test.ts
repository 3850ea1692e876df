import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BatchStore } from "../../src/batches/batch-store";
import { countsFrom } from "../../src/batches/lifecycle";
import { token } from "../helpers";
import { addItem, batchStub, createBatch, driveBatch, evictBatch, expectCountsAddUp, post } from "./helpers";

/** The counts the store reads, beside the same counts taken from every item row. */
function countsBesideItems(batchId: string) {
  return runInDurableObject(batchStub(batchId), (_b, state) => {
    const kept = new BatchStore(state.storage).counts();
    const rows = state.storage.sql.exec<{ state: string; n: number }>("SELECT state, count(*) AS n FROM items GROUP BY state").toArray();
    const scanned = countsFrom(Object.fromEntries(rows.map((r) => [r.state, r.n])));
    return { kept, scanned };
  });
}

async function expectKeptEqualsScanned(batchId: string) {
  const { kept, scanned } = await countsBesideItems(batchId);
  expect(kept).toEqual(scanned);
  return kept;
}

describe("a batch's counts", () => {
  it("follow every item's state through adds, ends, a corrupt file and a cancel, evicted between steps", async () => {
    const P = "proj_item_counts";
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    for (let i = 0; i < 5; i++) expect((await addItem(t, P, batch.id, `item ${i} of a counted batch`, `c${i}.txt`)).status).toBe(201);
    expect(
      (await addItem(t, P, batch.id, new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37, 0x0a, 0x00]), "bad.pdf", "application/pdf")).status,
    ).toBe(201);
    expect((await expectKeptEqualsScanned(batch.id)).total).toBe(6);
    await evictBatch(batch.id);
    expect((await post(t, `/api/projects/${P}/ingest/batches/${batch.id}/close`)).status).toBe(200);
    await driveBatch(t, P, batch.id, () => expectKeptEqualsScanned(batch.id).then(() => evictBatch(batch.id)));
    const done = await expectKeptEqualsScanned(batch.id);
    expect(done).toMatchObject({ total: 6, completed: 5, failed: 1 });
    await expectCountsAddUp(t, P, batch.id);

    const other = await createBatch(t, P);
    for (let i = 0; i < 3; i++) expect((await addItem(t, P, other.id, `cancelled item ${i}`, `x${i}.txt`)).status).toBe(201);
    expect((await post(t, `/api/projects/${P}/ingest/batches/${other.id}/cancel`)).status).toBe(200);
    expect(await expectKeptEqualsScanned(other.id)).toMatchObject({ total: 3, cancelled: 3 });
  });

  it("are counted from the items once for a batch stored before counts were kept, and kept from then on", async () => {
    const P = "proj_item_counts_old";
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    for (let i = 0; i < 4; i++) expect((await addItem(t, P, batch.id, `old item ${i}`, `o${i}.txt`)).status).toBe(201);
    // As a batch object written by a deploy that scanned the items: no counts, no triggers.
    await runInDurableObject(batchStub(batch.id), (_b, state) => {
      for (const trigger of ["items_counted_insert", "items_counted_delete", "items_counted_update"]) state.storage.sql.exec(`DROP TRIGGER ${trigger}`);
      state.storage.sql.exec("DROP TABLE item_counts");
      state.storage.sql.exec("UPDATE items SET state = 'SKIPPED' WHERE ordinal = (SELECT min(ordinal) FROM items)");
    });
    await evictBatch(batch.id);
    expect(await expectKeptEqualsScanned(batch.id)).toMatchObject({ total: 4, skipped: 1 });
    // A change behind the store's back is counted too: the triggers sit in the database.
    await runInDurableObject(batchStub(batch.id), (_b, state) => {
      state.storage.sql.exec("UPDATE items SET state = 'CANCELLED' WHERE state != 'SKIPPED'");
    });
    expect(await expectKeptEqualsScanned(batch.id)).toMatchObject({ total: 4, skipped: 1, cancelled: 3, queued: 0, running: 0 });
  });
});
