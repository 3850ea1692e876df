import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { projectDb, projectShard, shardIndex } from "../../src/db/shards";
import { deleteDocumentOutputs, insertDocument } from "../../src/documents/document-store";
import { ABANDONED_CLAIM_MS, claimIdempotencyKey, takeOverAbandonedClaim } from "../../src/jobs/idempotency";
import { uuidv7 } from "../../src/jobs/ids";
import { upsertJobRow } from "../../src/jobs/job-index";
import { createJob, type Job } from "../../src/jobs/lifecycle";
import type { Env } from "../../src/env";
import { jobRow } from "./shard-helpers";

const NEXT = "DB_0,DB_1,DB_2,DB_3";
/** Dual write: reads and claims on two shards, every write mirrored to its shard of four. */
const dualWrite: Env = { ...env, D1_SHARDS: "DB_0,DB_1", D1_SHARDS_NEXT: NEXT };
/** After the cut-over: four shards, every write mirrored to its shard of two. */
const cutOver: Env = { ...env, D1_SHARDS: NEXT, D1_SHARDS_PREV: "DB_0,DB_1" };
const shards = [env.DB_0, env.DB_1, env.DB_2, env.DB_3];

/** The first `${prefix}_<n>` on shard `from` of 2 and `to` of 4. */
function projectMoving(from: number, to: number, prefix: string): string {
  for (let n = 0; ; n++) {
    const id = `${prefix}_${n}`;
    if (shardIndex(id, 2) === from && shardIndex(id, 4) === to) return id;
  }
}

function job(projectId: string): Job {
  const now = new Date();
  return createJob(
    {
      id: uuidv7(now.getTime()),
      projectId,
      sourceId: null,
      originalFilename: "a.txt",
      sourcePath: "a.txt",
      byteSize: 10,
      mimeType: "text/plain",
      isDeepScan: false,
      options: { chunkSize: 1000, chunkOverlap: 100 },
      createdBy: "mirror-test",
    },
    now,
  ).job;
}

/** Which of the four shards hold the job's row, and at which version. */
async function rowsOf(jobId: string) {
  return Promise.all(shards.map(async (db) => (await jobRow(db, jobId))?.version ?? null));
}

beforeAll(async () => {
  for (const db of [env.DB_2, env.DB_3]) await applyD1Migrations(db, env.TEST_MIGRATIONS);
});

describe("mirror writes while the shards grow from 2 to 4", () => {
  it("writes a moving project's row to its shard of two and its shard of four, and updates both", async () => {
    const p = projectMoving(0, 2, "mirror_move");
    const j = job(p);
    await upsertJobRow(projectDb(dualWrite, p), j, 1);
    expect(await rowsOf(j.id)).toEqual([1, null, 1, null]);
    await upsertJobRow(projectDb(dualWrite, p), { ...j, status: "RUNNING" }, 2);
    expect(await rowsOf(j.id)).toEqual([2, null, 2, null]);
    // A stale write changes nothing on either.
    await upsertJobRow(projectDb(dualWrite, p), j, 1);
    expect(await rowsOf(j.id)).toEqual([2, null, 2, null]);
  });

  it("repeats a version-guarded write the primary already had, so a retried index write reaches a mirror that missed it", async () => {
    const p = projectMoving(0, 2, "mirror_retry");
    const j = job(p);
    await upsertJobRow(env.DB_0, j, 3); // landed on the primary; the mirror write was cut off
    await upsertJobRow(projectDb(dualWrite, p), j, 3);
    expect(await rowsOf(j.id)).toEqual([3, null, 3, null]);
  });

  it("writes a project that stays on its shard once", async () => {
    const p = projectMoving(1, 1, "mirror_stay");
    const j = job(p);
    await upsertJobRow(projectDb(dualWrite, p), j, 1);
    expect(await rowsOf(j.id)).toEqual([null, 1, null, null]);
  });

  it("mirrors writes made through a D1 session, and keeps the primary's bookmark", async () => {
    const p = projectMoving(1, 3, "mirror_session");
    const j = job(p);
    const session = projectDb(dualWrite, p).withSession("first-primary");
    await upsertJobRow(session as unknown as D1Database, j, 1);
    expect(await rowsOf(j.id)).toEqual([null, 1, null, 1]);
    expect(session.getBookmark()).toMatch(/^[0-9a-f-]+$/);
  });

  it("reads only from the shard of two", async () => {
    const p = projectMoving(0, 2, "mirror_reads");
    const j = job(p);
    await upsertJobRow(env.DB_2, j, 1); // a row only the next shard has
    expect(await jobRow(projectDb(dualWrite, p), j.id)).toBeNull();
  });

  it("mirrors a document's insert and its delete", async () => {
    const p = projectMoving(0, 2, "mirror_docs");
    const id = uuidv7();
    await insertDocument(projectDb(dualWrite, p), {
      id,
      projectId: p,
      jobId: uuidv7(),
      title: "t",
      mimeType: "text/plain",
      pageCount: null,
      characterCount: 1,
      chunkCount: 1,
      contentHash: "h",
      simhash: null,
      language: null,
      duplicateOf: null,
      textKey: `documents/${p}/${id}.txt`,
      createdAt: Date.now(),
      sourceUrl: null,
    });
    const count = (db: D1Database) => db.prepare("SELECT count(*) AS n FROM documents WHERE id = ?").bind(id).first<number>("n");
    expect([await count(env.DB_0), await count(env.DB_2)]).toEqual([1, 1]);
    await deleteDocumentOutputs(env.BUCKET, projectDb(dualWrite, p), p, id);
    expect([await count(env.DB_0), await count(env.DB_2)]).toEqual([0, 0]);
  });

  it("mirrors an Idempotency-Key claim only when it won on the primary", async () => {
    const p = projectMoving(1, 3, "mirror_claims");
    const owner = (db: D1Database) => db.prepare("SELECT job_id FROM idempotency_keys WHERE project_id = ? AND key = 'k'").bind(p).first<string>("job_id");
    expect(await claimIdempotencyKey(projectDb(dualWrite, p), p, "k", "job-1", "hash")).toEqual({ won: true });
    expect([await owner(env.DB_1), await owner(env.DB_3)]).toEqual(["job-1", "job-1"]);
    // A next shard the backfill has not reached yet: the losing claim must not land there.
    await env.DB_3.prepare("DELETE FROM idempotency_keys WHERE project_id = ?").bind(p).run();
    const second = await claimIdempotencyKey(projectDb(dualWrite, p), p, "k", "job-2", "hash");
    expect(second).toMatchObject({ won: false, jobId: "job-1" });
    expect([await owner(env.DB_1), await owner(env.DB_3)]).toEqual(["job-1", null]);
  });

  it("takes an abandoned claim over on a next shard that never got the claim", async () => {
    const p = projectMoving(0, 2, "mirror_takeover");
    const owner = (db: D1Database) => db.prepare("SELECT job_id FROM idempotency_keys WHERE project_id = ? AND key = 'k'").bind(p).first<string>("job_id");
    // A create claimed the key on the primary and died before its mirror write.
    const claimedAt = Date.now() - 2 * ABANDONED_CLAIM_MS;
    await claimIdempotencyKey(env.DB_0, p, "k", "dead-job", "hash", claimedAt);
    expect(await takeOverAbandonedClaim(projectDb(dualWrite, p), p, "k", "dead-job", "job-2", "hash")).toBe(true);
    expect([await owner(env.DB_0), await owner(env.DB_2)]).toEqual(["job-2", "job-2"]);
    // A second takeover of the same abandoned claim loses, on both.
    expect(await takeOverAbandonedClaim(projectDb(dualWrite, p), p, "k", "dead-job", "job-3", "hash")).toBe(false);
    expect([await owner(env.DB_0), await owner(env.DB_2)]).toEqual(["job-2", "job-2"]);
  });

  it("after the cut-over, mirrors a moved project's writes back to its previous shard", async () => {
    const p = projectMoving(0, 2, "mirror_prev");
    expect(projectShard(cutOver, p).name).toBe("DB_2");
    const j = job(p);
    await upsertJobRow(projectDb(cutOver, p), j, 1);
    expect(await rowsOf(j.id)).toEqual([1, null, 1, null]);
    const stays = projectMoving(1, 1, "mirror_prev_stays");
    const k = job(stays);
    await upsertJobRow(projectDb(cutOver, stays), k, 1);
    expect(await rowsOf(k.id)).toEqual([null, 1, null, null]);
  });

  it("keeps the primary write when the mirror write fails, and logs it", async () => {
    const p = projectMoving(1, 3, "mirror_fails");
    const j = job(p);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    let warnings = "";
    await env.DB_3.exec("ALTER TABLE jobs RENAME TO jobs_away");
    try {
      await upsertJobRow(projectDb(dualWrite, p), j, 1);
      warnings = warn.mock.calls.map((c) => String(c[0])).join("\n");
    } finally {
      await env.DB_3.exec("ALTER TABLE jobs_away RENAME TO jobs");
      warn.mockRestore();
    }
    expect(await rowsOf(j.id)).toEqual([null, 1, null, null]);
    expect(warnings).toMatch(/"msg":"mirror write failed".*"shard":"DB_3"/);
  });

  it("uses the plain shard, unwrapped, when no reshard is under way", () => {
    expect(projectDb(env, "proj_a")).toBe(env.DB_0);
  });
});
