import { env } from "cloudflare:workers";
import { projectDb } from "../../src/db/shards";
import { beforeAll, describe, expect, it } from "vitest";
import { jobListQueries, upsertJobRow } from "../../src/jobs/job-index";
import { createJob as newJob, type Job, type JobStage, type JobStatus } from "../../src/jobs/lifecycle";
import { uuidv7 } from "../../src/jobs/ids";
import { call, jobsPath, problem, token } from "../helpers";

const P = "proj_list";
const STATUSES: JobStatus[] = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];
const STAGES: JobStage[] = ["PENDING", "EXTRACTING", "CHUNKING", "INDEXING", "DONE"];
const SOURCES = ["src_a", "src_b", null];

/** 260 index rows over only 6 distinct milliseconds, plus deleted rows and another project's. */
async function seed(): Promise<Job[]> {
  const base = Date.parse("2026-11-01T00:00:00Z");
  const seeded: Job[] = [];
  for (let i = 0; i < 270; i++) {
    const created = new Date(base + (i % 6));
    const { job } = newJob(
      {
        id: uuidv7(created.getTime()),
        projectId: i < 265 ? P : "proj_elsewhere",
        sourceId: SOURCES[i % 3]!,
        originalFilename: `f${i}.txt`,
        sourcePath: `f${i}.txt`,
        byteSize: 10,
        mimeType: "text/plain",
        isDeepScan: false,
        options: { chunkSize: 1000, chunkOverlap: 100 },
        createdBy: "seed",
      },
      created,
    );
    const row: Job = { ...job, status: STATUSES[i % 5]!, stage: STAGES[(i >> 1) % 5]!, deletedAt: i % 53 === 7 ? created.toISOString() : null };
    await upsertJobRow(projectDb(env, P), row, 1);
    seeded.push(row);
  }
  return seeded;
}

let all: Job[];
let t: string;

beforeAll(async () => {
  all = await seed();
  t = await token({ roles: ["viewer"], projects: [P] });
});

function expected(filter: { status?: string; stage?: string; sourceId?: string }): string[] {
  return all
    .filter((j) => j.projectId === P && !j.deletedAt)
    .filter((j) => !filter.status || j.status === filter.status)
    .filter((j) => !filter.stage || j.stage === filter.stage)
    .filter((j) => filter.sourceId === undefined || j.sourceId === filter.sourceId)
    .sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1))
    .map((j) => j.id);
}

async function pageThrough(query: Record<string, string>, limit: number) {
  const ids: string[] = [];
  let cursor: string | null = null;
  let total = -1;
  for (let pages = 0; pages < 1000; pages++) {
    const q = new URLSearchParams({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
    const res = await call(`${jobsPath(P)}?${q}`, { token: t });
    expect(res.status).toBe(200);
    const body = await res.json<{
      items: { id: string; projectId: string; status: string; stage: string; progress: number; sourcePath: string; createdAt: string }[];
      nextCursor: string | null;
      total: number;
    }>();
    total = body.total;
    ids.push(...body.items.map((j) => j.id));
    for (const item of body.items) {
      expect(Object.keys(item)).toEqual(expect.arrayContaining(["id", "projectId", "status", "stage", "progress", "sourcePath", "createdAt"]));
    }
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return { ids, total };
}

describe("GET /jobs (list)", () => {
  it("returns each of 250+ jobs exactly once, newest first, across shared milliseconds", async () => {
    const want = expected({});
    expect(want.length).toBeGreaterThan(250);
    for (const limit of [1, 7, 50, 100]) {
      const { ids, total } = await pageThrough({}, limit);
      expect(ids).toEqual(want);
      expect(total).toBe(want.length);
    }
  });

  it("defaults to 50 items", async () => {
    const body = await (await call(jobsPath(P), { token: t })).json<{ items: unknown[] }>();
    expect(body.items).toHaveLength(50);
  });

  it("combines status, stage and sourceId filters with AND, with an exact total", async () => {
    const combos: Record<string, string>[] = [];
    for (const status of [undefined, "QUEUED", "COMPLETED"]) {
      for (const stage of [undefined, "PENDING", "CHUNKING"]) {
        for (const sourceId of [undefined, "src_a", "src_b"]) {
          const f: Record<string, string> = {};
          if (status) f.status = status;
          if (stage) f.stage = stage;
          if (sourceId) f.sourceId = sourceId;
          combos.push(f);
        }
      }
    }
    for (const f of combos) {
      const { ids, total } = await pageThrough(f, 9);
      const want = expected(f);
      expect(ids, JSON.stringify(f)).toEqual(want);
      expect(total, JSON.stringify(f)).toBe(want.length);
    }
  });

  it("is 400 for an invalid limit, status or stage", async () => {
    for (const q of ["limit=0", "limit=101", "limit=abc", "limit=2.5"]) {
      const res = await call(`${jobsPath(P)}?${q}`, { token: t });
      expect(res.status, q).toBe(400);
      expect((await problem(res)).detail).toBe("Invalid limit. Must be between 1 and 100.");
    }
    for (const q of ["status=DONE", "stage=BAKING", "status=queued"]) {
      const res = await call(`${jobsPath(P)}?${q}`, { token: t });
      expect(res.status, q).toBe(400);
    }
  });

  it("is 400 for a tampered cursor and for a cursor reused with other filters or another project", async () => {
    const first = await (await call(`${jobsPath(P)}?limit=5&status=QUEUED`, { token: t })).json<{ nextCursor: string }>();
    const cursor = first.nextCursor;
    const [payload, sig] = cursor.split(".");
    const flipped = payload!.slice(0, -2) + (payload!.endsWith("A") ? "BB" : "AA");
    for (const [q, who] of [
      [`status=QUEUED&cursor=${flipped}.${sig}`, t],
      [`status=QUEUED&cursor=${cursor}x`, t],
      [`status=QUEUED&cursor=garbage`, t],
      [`status=COMPLETED&cursor=${cursor}`, t],
      [`cursor=${cursor}`, t],
    ] as const) {
      const res = await call(`${jobsPath(P)}?${q}`, { token: who });
      expect(res.status, q).toBe(400);
      expect((await problem(res)).detail).toMatch(/Invalid cursor/);
    }
    const other = await token({ roles: ["admin"] });
    const res = await call(`${jobsPath("proj_elsewhere")}?status=QUEUED&cursor=${cursor}`, { token: other });
    expect(res.status).toBe(400);
    // The genuine cursor still works.
    expect((await call(`${jobsPath(P)}?status=QUEUED&limit=5&cursor=${cursor}`, { token: t })).status).toBe(200);
  });

  it("serves every list and count query from an index that starts with project_id", async () => {
    const after = { createdAt: Date.parse("2026-11-01T00:00:00.003Z"), id: "f".repeat(8) };
    const filterSets = [
      {},
      { status: "QUEUED" as const },
      { stage: "PENDING" as const },
      { sourceId: "src_a" },
      { status: "QUEUED" as const, stage: "PENDING" as const, sourceId: "src_a" },
    ];
    for (const f of filterSets) {
      for (const queries of [jobListQueries(projectDb(env, P), P, f, null, 50), jobListQueries(projectDb(env, P), P, f, after, 50)]) {
        for (const q of queries) {
          const { sql, params } = q.toSQL();
          const plan = await projectDb(env, P)
            .prepare(`EXPLAIN QUERY PLAN ${sql}`)
            .bind(...params)
            .all<{ detail: string }>();
          const details = plan.results.map((r) => r.detail).join(" | ");
          expect(details, `${JSON.stringify(f)}: ${sql}`).toMatch(/USING (COVERING )?INDEX jobs_project_/);
          expect(details).not.toMatch(/SCAN jobs(?! USING)/);
          expect(details).not.toMatch(/TEMP B-TREE/);
        }
      }
    }
  });
});
