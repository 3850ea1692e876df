/**
 * `POST /jobs?batchId=` while the isolate remembers that the batch accepts the caller's
 * items (src/batches/accept-cache.ts): counts stay exact, a close or cancel through the
 * API is seen at once, a batch closed elsewhere still takes nothing, and one caller's
 * answer never admits another.
 */
import { describe, expect, it } from "vitest";
import { problem, token } from "../helpers";
import { addItem, allItems, batchesPath, batchStub, createBatch, expectCountsAddUp, getBatch, post } from "./helpers";

const P = "proj_intake";
const OTHER = "proj_intake_other";

/** Adds `n` files, `inFlight` at a time, as a client streaming a folder does; returns the job ids. */
async function addMany(t: string, projectId: string, batchId: string, n: number, inFlight = 8): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < n; start += inFlight) {
    const round = Array.from({ length: Math.min(inFlight, n - start) }, (_, k) =>
      addItem(t, projectId, batchId, `file ${start + k} of ${batchId}`, `f${start + k}.txt`),
    );
    for (const res of await Promise.all(round)) {
      expect(res.status).toBe(201);
      ids.push((await res.json<{ id: string }>()).id);
    }
  }
  return ids;
}

describe("POST /jobs?batchId= into an open upload batch", () => {
  it("counts every one of many uploads exactly once, in flight together", async () => {
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    const ids = await addMany(t, P, batch.id, 20);
    expect(new Set(ids).size).toBe(20);
    const after = await expectCountsAddUp(t, P, batch.id);
    expect(after.counts.total).toBe(20);
    expect((await allItems(t, P, batch.id)).map((i) => i.jobId).sort()).toEqual([...ids].sort());
  });

  it("returns 409 from the batch at once after a close through the API, and adds no item", async () => {
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    await addMany(t, P, batch.id, 3);
    expect((await post(t, `${batchesPath(P)}/${batch.id}/close`)).status).toBe(200);
    const late = await addItem(t, P, batch.id, "straight after the close");
    expect(late.status).toBe(409);
    // The batch's own refusal, before any job was made for the upload (a job refused by
    // the batch would name the batch and cancel itself instead).
    expect((await problem(late)).detail).toContain("create a new batch");
    const after = await expectCountsAddUp(t, P, batch.id);
    expect(after.counts.total).toBe(3);
    expect(await allItems(t, P, batch.id)).toHaveLength(3);
  });

  it("returns 409 at once after a cancel through the API, and adds no item", async () => {
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    await addMany(t, P, batch.id, 2);
    expect((await post(t, `${batchesPath(P)}/${batch.id}/cancel`)).status).toBe(200);
    const late = await addItem(t, P, batch.id, "straight after the cancel");
    expect(late.status).toBe(409);
    expect((await problem(late)).detail).toContain("create a new batch");
    const after = await expectCountsAddUp(t, P, batch.id);
    expect(after).toMatchObject({ status: "CANCELLED", counts: { total: 2, cancelled: 2 } });
  });

  it("returns 409 and adds no item when the batch was closed behind the isolate's back", async () => {
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    await addMany(t, P, batch.id, 2);
    // Closed on the object itself, as another isolate's close would: this isolate still
    // remembers the batch accepting, and the batch refuses the item's creation report.
    const closed = await batchStub(batch.id).close({ principal: { sub: "alice", roles: ["editor"], projects: [P] }, projectId: P });
    expect(closed.ok).toBe(true);
    const late = await addItem(t, P, batch.id, "after a close elsewhere");
    expect(late.status).toBe(409);
    expect((await problem(late)).detail).toContain("takes no more items");
    const after = await expectCountsAddUp(t, P, batch.id);
    expect(after.counts.total).toBe(2);
    expect(await allItems(t, P, batch.id)).toHaveLength(2);
  });
});

describe("POST /jobs?batchId= right after another caller's upload was admitted", () => {
  it("is 404 for an admin adding the batch's id through another project, after the same admin added to it through its own", async () => {
    const admin = await token({ roles: ["admin"], projects: [], sub: "intake-admin" });
    const batch = await createBatch(admin, P);
    expect((await addItem(admin, P, batch.id, "through its own project")).status).toBe(201);
    const foreign = await addItem(admin, OTHER, batch.id, "through another project");
    expect(foreign.status).toBe(404);
    expect((await getBatch(admin, P, batch.id)).counts.total).toBe(1);
  });

  it("is 403 for a viewer, and for a token of another project, after an admin's upload", async () => {
    const admin = await token({ roles: ["admin"], projects: [P], sub: "intake-admin" });
    const batch = await createBatch(admin, P);
    expect((await addItem(admin, P, batch.id, "admitted")).status).toBe(201);
    const viewer = await token({ roles: ["viewer"], projects: [P], sub: "intake-admin" });
    expect((await addItem(viewer, P, batch.id, "viewer file")).status).toBe(403);
    const outsider = await token({ roles: ["editor"], projects: [OTHER], sub: "intake-admin" });
    expect((await addItem(outsider, P, batch.id, "outsider file")).status).toBe(403);
    expect((await addItem(outsider, OTHER, batch.id, "outsider file")).status).toBe(404);
    const after = await expectCountsAddUp(admin, P, batch.id);
    expect(after.counts.total).toBe(1);
  });

  it("lets another editor of the project add too: its own answer, asked of the batch", async () => {
    const alice = await token({ projects: [P], sub: "alice" });
    const bob = await token({ projects: [P], sub: "bob" });
    const batch = await createBatch(alice, P);
    expect((await addItem(alice, P, batch.id, "alice's")).status).toBe(201);
    expect((await addItem(bob, P, batch.id, "bob's")).status).toBe(201);
    expect((await expectCountsAddUp(alice, P, batch.id)).counts.total).toBe(2);
  });
});
