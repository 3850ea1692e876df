import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, jobsPath, token } from "../helpers";
import { addItem, batchesPath, createBatch, driveBatch, getBatch, post } from "./helpers";

const P = "proj_batch_access";
const OTHER = "proj_batch_other";

async function tokens() {
  return {
    editor: await token({ projects: [P], roles: ["editor"] }),
    otherEditor: await token({ projects: [P], roles: ["editor"], sub: "bob" }),
    viewer: await token({ projects: [P], roles: ["viewer"] }),
    dispatcher: await token({ projects: [P], roles: ["dispatcher"] }),
    outsider: await token({ projects: [OTHER], roles: ["admin", "editor"] }),
  };
}

describe("batch routes: roles and project isolation", () => {
  it("lets viewers read but not create, close, retry, cancel or delete", async () => {
    const t = await tokens();
    const batch = await createBatch(t.editor, P);
    const base = `${batchesPath(P)}/${batch.id}`;
    for (const path of [base, `${base}/items`, `${base}/events`, batchesPath(P)]) expect((await call(path, { token: t.viewer })).status, path).toBe(200);
    const create = await call(batchesPath(P), {
      method: "POST",
      token: t.viewer,
      body: JSON.stringify({ kind: "upload" }),
      headers: { "Content-Type": "application/json" },
    });
    expect(create.status).toBe(403);
    for (const verb of ["close", "retry", "cancel"]) expect((await post(t.viewer, `${base}/${verb}`)).status, verb).toBe(403);
    expect((await call(base, { method: "DELETE", token: t.viewer })).status).toBe(403);
    expect((await addItem(t.viewer, P, batch.id, "viewer file")).status).toBe(403);
  });

  it("lets an editor cancel only its own batches, and a dispatcher any", async () => {
    const t = await tokens();
    const mine = await createBatch(t.editor, P);
    expect((await post(t.otherEditor, `${batchesPath(P)}/${mine.id}/cancel`)).status).toBe(403);
    expect((await post(t.dispatcher, `${batchesPath(P)}/${mine.id}/cancel`)).status).toBe(200);
    // The dispatcher cannot create batches.
    const create = await call(batchesPath(P), {
      method: "POST",
      token: t.dispatcher,
      body: JSON.stringify({ kind: "upload" }),
      headers: { "Content-Type": "application/json" },
    });
    expect(create.status).toBe(403);
  });

  it("is 404 on every batch route from another project, and 403 for a project not in the token", async () => {
    const t = await tokens();
    const batch = await createBatch(t.editor, P);
    const foreign = `${batchesPath(OTHER)}/${batch.id}`;
    for (const path of [foreign, `${foreign}/items`, `${foreign}/events`]) expect((await call(path, { token: t.outsider })).status, path).toBe(404);
    for (const verb of ["close", "retry", "cancel"]) expect((await post(t.outsider, `${foreign}/${verb}`)).status, verb).toBe(404);
    expect((await call(foreign, { method: "DELETE", token: t.outsider })).status).toBe(404);
    // An item cannot join a batch of another project through its own project's route.
    expect((await addItem(t.outsider, OTHER, batch.id, "sneaky")).status).toBe(404);
    // Not a member of P at all: 403 before anything is looked up.
    expect((await call(`${batchesPath(P)}/${batch.id}`, { token: t.outsider.replace(/.$/, "") })).status).toBe(401);
    const nonMember = await token({ projects: [OTHER], roles: ["editor"] });
    expect((await call(`${batchesPath(P)}/${batch.id}`, { token: nonMember })).status).toBe(403);
    // The list of the other project does not show it.
    const list = await (await call(batchesPath(OTHER), { token: t.outsider })).json<{ items: { id: string }[] }>();
    expect(list.items.map((b) => b.id)).not.toContain(batch.id);
  });

  it("is 404 for an unknown or malformed batch id, and 400 for a bad cursor or filter", async () => {
    const t = await tokens();
    expect((await call(`${batchesPath(P)}/not-a-uuid`, { token: t.viewer })).status).toBe(404);
    expect((await call(`${batchesPath(P)}/0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11`, { token: t.viewer })).status).toBe(404);
    expect((await call(`${batchesPath(P)}?status=DONE`, { token: t.viewer })).status).toBe(400);
    expect((await call(`${batchesPath(P)}?cursor=abc`, { token: t.viewer })).status).toBe(400);
    expect((await addItem(t.editor, P, "0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11", "no such batch")).status).toBe(404);
  });
});

describe("GET /batches", () => {
  it("lists newest first with status and kind filters, from the D1 rows the batch objects write", async () => {
    const t = await tokens();
    const a = await createBatch(t.editor, P);
    const b = await createBatch(t.editor, P);
    await post(t.editor, `${batchesPath(P)}/${a.id}/cancel`);
    const all = await (await call(`${batchesPath(P)}?kind=upload&limit=1`, { token: t.viewer })).json<{
      items: { id: string }[];
      nextCursor: string;
      total: number;
    }>();
    expect(all.items[0]!.id >= b.id).toBe(true);
    expect(all.nextCursor).toBeTruthy();
    const cancelled = await (await call(`${batchesPath(P)}?status=CANCELLED`, { token: t.viewer })).json<{ items: { id: string; status: string }[] }>();
    expect(cancelled.items.map((i) => i.id)).toContain(a.id);
    expect(cancelled.items.every((i) => i.status === "CANCELLED")).toBe(true);
  });

  it("serves If-None-Match with 304 while the batch is unchanged", async () => {
    const t = await tokens();
    const batch = await createBatch(t.editor, P);
    const first = await call(`${batchesPath(P)}/${batch.id}`, { token: t.viewer });
    const etag = first.headers.get("ETag")!;
    expect((await call(`${batchesPath(P)}/${batch.id}`, { token: t.viewer, headers: { "If-None-Match": etag } })).status).toBe(304);
    await addItem(t.editor, P, batch.id, "a change");
    expect((await call(`${batchesPath(P)}/${batch.id}`, { token: t.viewer, headers: { "If-None-Match": etag } })).status).toBe(200);
  });
});

describe("a batch's D1 statements and events", () => {
  it("writes a bounded number of D1 statements whatever its item count, and its events reach the project stream", async () => {
    const t = await tokens();
    const counts: number[] = [];
    for (const n of [2, 8]) {
      const batch = await createBatch(t.editor, P);
      for (let i = 0; i < n; i++) await addItem(t.editor, P, batch.id, `statement counting ${i}`, `s${i}.txt`);
      await post(t.editor, `${batchesPath(P)}/${batch.id}/close`);
      const done = await driveBatch(t.editor, P, batch.id);
      expect(done.status).toBe("COMPLETED");
      const stub = env.INGEST_BATCH.get(env.INGEST_BATCH.idFromName(batch.id));
      counts.push(await stub.d1Statements());
      const log = await (await call(`${batchesPath(P)}/${batch.id}/events`, { token: t.viewer })).json<{ items: { type: string }[] }>();
      expect(log.items[0]!.type).toBe("batch.created");
      expect(log.items.at(-1)!.type).toBe("batch.completed");
      const hub = env.PROJECT_HUB.get(env.PROJECT_HUB.idFromName(P));
      const frames = await runInDurableObject(hub, (_i, state) =>
        state.storage.sql
          .exec<{ frame: string }>("SELECT frame FROM project_frames")
          .toArray()
          .map((r) => JSON.parse(r.frame) as { type: string; batchId?: string; projectSeq: number }),
      );
      const mine = frames.filter((f) => f.batchId === batch.id);
      expect(mine.map((f) => f.type)).toContain("batch.completed");
      expect(mine.every((f) => Number.isInteger(f.projectSeq))).toBe(true);
    }
    // Creation, each status change, and counts at most every interval: not per item.
    expect(counts[1]).toBe(counts[0]);
    expect(counts[0]).toBeLessThanOrEqual(6);
    expect((await call(`${jobsPath(P)}?batchId=not-there`, { token: t.viewer })).status).toBe(200);
  });
});

describe("seed routes with a batch id", () => {
  it("GET /api/v1/ingestion/job/{id} maps the batch's counts; DELETE cancels it", async () => {
    const t = await tokens();
    const batch = await createBatch(t.editor, P);
    await addItem(t.editor, P, batch.id, "one seed item");
    const res = await call(`/api/v1/ingestion/job/${batch.id}`, { token: t.viewer });
    expect(res.status).toBe(200);
    const seed = await res.json<{ job_id: string; status: string; progress: { papers_fetched: number; pdfs_downloaded: number; errors: string[] } }>();
    expect(seed).toMatchObject({ job_id: batch.id, status: "running", progress: { papers_fetched: 1, pdfs_downloaded: 1, errors: [] } });
    const del = await call(`/api/v1/ingestion/job/${batch.id}`, { method: "DELETE", token: t.dispatcher });
    expect(del.status).toBe(200);
    expect((await getBatch(t.viewer, P, batch.id)).status).toBe("CANCELLED");
    expect((await call(`/api/v1/ingestion/job/${batch.id}`, { method: "DELETE", token: t.dispatcher })).status).toBe(400);
    const outsider = await call(`/api/v1/ingestion/job/${batch.id}`, { token: t.outsider.replace(/.$/, "") });
    expect(outsider.status).toBe(401);
    const other = await call(`/api/v1/ingestion/job/${batch.id}`, { token: await token({ projects: [OTHER], roles: ["viewer"] }) });
    expect(other.status).toBe(404);
  });
});
