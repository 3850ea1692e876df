import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { projectDb } from "../../src/db/shards";
import { PURGE_PAGE } from "../../src/retention/purger";
import { sourceKey } from "../../src/storage-keys";
import { call, createJob, drive, getJob, hubStub, jobStub, jobsPath, step, token } from "../helpers";
import { addItem, batchesPath, batchStub, createBatch, driveBatch, post } from "../batches/helpers";
import { DAY_MS, jobRow, jobTables, purgerWork, stepPurger } from "./helpers";

const RETENTION_DAYS = loadConfig(env).retention.days;
const GRACE_DAYS = loadConfig(env).retention.deletedGraceDays;
const BODY = "A sentence the pipeline reads, and reads again. ".repeat(40);

async function completedJob(t: string, projectId: string, filename = "doc.txt") {
  const job = await createJob(t, projectId, BODY, { filename });
  await drive(job.id);
  const done = await getJob(t, projectId, job.id);
  expect(done.status).toBe("COMPLETED");
  return done;
}

/** Steps the purger (clock `aheadMs` ahead) until none of `jobIds` has a row left, or `max` alarms. */
async function purgeUntilGone(projectId: string, jobIds: string[], aheadMs: number, max = 40) {
  for (let i = 0; i < max; i++) {
    const stats = await stepPurger(projectId, aheadMs);
    expect(stats.lastPageRows).toBeLessThanOrEqual(PURGE_PAGE);
    const rows = await Promise.all(jobIds.map((id) => jobRow(projectId, id)));
    if (rows.every((r) => r === null)) return;
  }
  throw new Error("the purger left rows behind");
}

function listedIds(t: string, projectId: string): Promise<string[]> {
  return call(jobsPath(projectId), { token: t }).then(async (res) => (await res.json<{ items: { id: string }[] }>()).items.map((j) => j.id));
}

describe("retention: finished jobs", () => {
  it("purges a completed job past RETENTION_DAYS: gone from get and list, its object empty, its document still readable and found by the job's file name", async () => {
    const P = "proj_ret_completed";
    const t = await token({ projects: [P] });
    const job = await completedJob(t, P, "quarterly-notes.txt");
    const documentId = job.canonicalDocumentId!;

    await purgeUntilGone(P, [job.id], (RETENTION_DAYS + 1) * DAY_MS);

    expect(await jobTables(job.id)).toEqual([]);
    expect(await runInDurableObject(jobStub(job.id), (_j, state) => state.storage.getAlarm())).toBeNull();
    const hubRows = await runInDurableObject(hubStub(P), (_h, state) =>
      state.storage.sql.exec("SELECT job_id FROM job_seq WHERE job_id = ?", job.id).toArray(),
    );
    expect(hubRows).toEqual([]);
    expect((await call(`${jobsPath(P)}/${job.id}`, { token: t })).status).toBe(404);
    expect(await listedIds(t, P)).not.toContain(job.id);
    const text = await call(`/api/projects/${P}/documents/${documentId}/text`, { token: t });
    expect(text.status).toBe(200);
    expect(await text.text()).toBe(BODY);
    expect((await call(`/api/projects/${P}/documents/${documentId}`, { token: t })).status).toBe(200);
    const found = await call(`/api/projects/${P}/documents?q=quarterly`, { token: t });
    expect((await found.json<{ items: { id: string }[] }>()).items.map((d) => d.id)).toEqual([documentId]);
  });

  it("removes the source a cancelled job kept in R2", async () => {
    const P = "proj_ret_cancelled";
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, BODY);
    await step(job.id);
    expect((await call(`${jobsPath(P)}/${job.id}/cancel`, { method: "POST", token: t })).status).toBe(200);
    await drive(job.id);
    expect(await env.BUCKET.head(sourceKey(job))).not.toBeNull();

    await purgeUntilGone(P, [job.id], (RETENTION_DAYS + 1) * DAY_MS);

    expect(await env.BUCKET.head(sourceKey(job))).toBeNull();
    expect(await jobTables(job.id)).toEqual([]);
  });

  it("removes what a failed job kept for a retry: its staged text and chunk table, and its source", async () => {
    const P = "proj_ret_failed";
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "Fails late. ".repeat(10_000));
    const staged = async () => (await env.BUCKET.list({ prefix: `documents/${P}/` })).objects.map((o) => o.key);
    // Indexing wrote the text and the chunk table; then the document row cannot be written.
    while ((await staged()).length < 2) expect(await step(job.id)).toBe(true);
    await projectDb(env, P).exec("ALTER TABLE documents RENAME TO documents_offline_ret");
    try {
      for (let i = 0; i < 10 && (await getJob(t, P, job.id)).status === "RUNNING"; i++) await step(job.id);
    } finally {
      await projectDb(env, P).exec("ALTER TABLE documents_offline_ret RENAME TO documents");
    }
    await drive(job.id);
    expect((await getJob(t, P, job.id)).status).toBe("FAILED");
    expect(await staged()).toHaveLength(2);
    expect(await env.BUCKET.head(sourceKey(job))).not.toBeNull();

    await purgeUntilGone(P, [job.id], (RETENTION_DAYS + 1) * DAY_MS);

    expect(await staged()).toEqual([]);
    expect(await env.BUCKET.head(sourceKey(job))).toBeNull();
    expect(await jobTables(job.id)).toEqual([]);
  });

  it("keeps a job within its retention", async () => {
    const P = "proj_ret_within";
    const t = await token({ projects: [P] });
    const job = await completedJob(t, P);

    await stepPurger(P, (RETENTION_DAYS - 1) * DAY_MS);

    expect(await jobRow(P, job.id)).not.toBeNull();
    expect((await getJob(t, P, job.id)).status).toBe("COMPLETED");
  });

  it("never purges a running job, even when its index row says it finished long ago", async () => {
    const P = "proj_ret_running";
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, BODY);
    await step(job.id);
    expect((await getJob(t, P, job.id)).status).toBe("RUNNING");
    // A stale row: the index says COMPLETED a year ago; the object knows better.
    await projectDb(env, P).prepare("UPDATE jobs SET status = 'COMPLETED', updated_at = 1000 WHERE id = ?").bind(job.id).run();

    await stepPurger(P, (RETENTION_DAYS + 1) * DAY_MS);

    expect(await jobRow(P, job.id)).not.toBeNull();
    await drive(job.id);
    expect((await getJob(t, P, job.id)).status).toBe("COMPLETED");
  });
});

describe("retention: deleted jobs", () => {
  it("purges a soft-deleted job once DELETED_GRACE_DAYS have passed, not before", async () => {
    const P = "proj_ret_deleted";
    const t = await token({ projects: [P] });
    const job = await completedJob(t, P);
    expect((await call(`${jobsPath(P)}/${job.id}`, { method: "DELETE", token: t })).status).toBe(204);
    await drive(job.id);

    await stepPurger(P, (GRACE_DAYS / 2) * DAY_MS);
    expect(await jobRow(P, job.id)).toMatchObject({ deleted_at: expect.any(Number) });

    await purgeUntilGone(P, [job.id], (GRACE_DAYS + 0.1) * DAY_MS);
    expect(await jobTables(job.id)).toEqual([]);
    expect((await call(`/api/projects/${P}/documents/${job.canonicalDocumentId}`, { token: t })).status).toBe(200);
  });
});

describe("retention: bounded work", () => {
  it("reads at most a page of rows per alarm and comes back at once for the rest", async () => {
    const P = "proj_ret_page";
    const db = projectDb(env, P);
    const ids = Array.from({ length: PURGE_PAGE + 20 }, () => crypto.randomUUID());
    // Rows deleted in 1970 come first in the deleted scan; their objects hold nothing.
    await db.batch(
      ids.map((id) =>
        db
          .prepare(
            `INSERT INTO jobs (id, project_id, source_path, original_filename, mime_type, byte_size, status, stage, progress, created_by, created_at, updated_at, deleted_at, version, data)
             VALUES (?, ?, 'x.txt', 'x.txt', 'text/plain', 1, 'COMPLETED', 'DONE', 1, 'alice', 1000, 1000, 1000, 1, '{}')`,
          )
          .bind(id, P),
      ),
    );
    const count = async () => (await db.prepare("SELECT count(*) AS n FROM jobs WHERE project_id = ?").bind(P).first<{ n: number }>())!.n;

    const ahead = (GRACE_DAYS + 1) * DAY_MS;
    const stats = await stepPurger(P, ahead);
    expect(stats.lastPageRows).toBe(PURGE_PAGE);
    expect(await count()).toBe(20);
    // A full page: the purge is due again at once, not in an hour.
    expect((await purgerWork(P)).purge).toBeLessThanOrEqual(Date.now() + ahead);

    await stepPurger(P, ahead);
    expect(await count()).toBe(0);
  });
});

describe("retention: batches", () => {
  it("purges a finished batch past RETENTION_DAYS together with its items", async () => {
    const P = "proj_ret_batch";
    const t = await token({ projects: [P] });
    const batch = await createBatch(t, P);
    const items: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await addItem(t, P, batch.id, `${BODY} item ${i}`, `item-${i}.txt`);
      expect(res.status).toBe(201);
      items.push((await res.json<{ id: string }>()).id);
    }
    expect((await post(t, `${batchesPath(P)}/${batch.id}/close`)).status).toBe(200);
    expect((await driveBatch(t, P, batch.id)).status).toBe("COMPLETED");
    const batchRow = () => projectDb(env, P).prepare("SELECT id FROM batches WHERE id = ?").bind(batch.id).first();
    expect(await batchRow()).not.toBeNull();

    await purgeUntilGone(P, items, (RETENTION_DAYS + 1) * DAY_MS);
    for (let i = 0; i < 10 && (await batchRow()) !== null; i++) await stepPurger(P, (RETENTION_DAYS + 1) * DAY_MS);

    expect(await batchRow()).toBeNull();
    expect((await call(`${batchesPath(P)}/${batch.id}`, { token: t })).status).toBe(404);
    for (const id of items) expect((await call(`${jobsPath(P)}/${id}`, { token: t })).status).toBe(404);
    const tables = await runInDurableObject(batchStub(batch.id), (_b, state) =>
      state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'").toArray(),
    );
    expect(tables).toEqual([]);
  });
});

describe("retention: idempotency claims", () => {
  it("deletes claims whose 24 hours are over and keeps the others", async () => {
    const P = "proj_ret_claims";
    const db = projectDb(env, P);
    const claim = (key: string, expiresAt: number) =>
      db
        .prepare("INSERT INTO idempotency_keys (project_id, key, job_id, request_hash, expires_at) VALUES (?, ?, ?, 'h', ?)")
        .bind(P, key, crypto.randomUUID(), expiresAt);
    await db.batch([claim("expired", Date.now() - 1_000), claim("live", Date.now() + 3_600_000)]);

    await stepPurger(P, 0);

    const keys = await db.prepare("SELECT key FROM idempotency_keys WHERE project_id = ?").bind(P).all<{ key: string }>();
    expect(keys.results.map((r) => r.key)).toEqual(["live"]);
  });
});
