import { env } from "cloudflare:workers";
import { projectDb } from "../../src/db/shards";
import { describe, expect, it } from "vitest";
import { upsertJobRow } from "../../src/jobs/job-index";
import { call, createJob, drive, getJob, jobsPath, token } from "../helpers";

const P = "proj_idx";

async function indexRow(id: string) {
  return projectDb(env, P).prepare("SELECT status, version FROM jobs WHERE id = ?").bind(id).first<{ status: string; version: number }>();
}

describe("the D1 index row", () => {
  it("is written before create returns", async () => {
    const job = await createJob(await token({ projects: [P] }), P);
    expect(await indexRow(job.id)).toMatchObject({ status: "QUEUED", version: 1 });
  });

  it("converges after a D1 write that fails: the object retries from its alarm", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    await projectDb(env, P).exec("ALTER TABLE jobs RENAME TO jobs_offline");
    let res: Response;
    try {
      res = await call(`${jobsPath(P)}/${job.id}/cancel`, { method: "POST", token: t });
    } finally {
      await projectDb(env, P).exec("ALTER TABLE jobs_offline RENAME TO jobs");
    }
    // The cancel is committed in the object, which is the source of truth ...
    expect(res.status).toBe(200);
    expect((await getJob(t, P, job.id)).status).toBe("CANCELLED");
    // ... while the index still has the old row, until the retry runs.
    expect((await indexRow(job.id))!.status).toBe("QUEUED");
    expect(await drive(job.id)).toBeGreaterThan(0);
    expect(await indexRow(job.id)).toMatchObject({ status: "CANCELLED", version: 2 });
    const list = await (await call(`${jobsPath(P)}?status=CANCELLED`, { token: t })).json<{ items: { id: string }[] }>();
    expect(list.items.map((j) => j.id)).toContain(job.id);
  });

  it("never lets an older version overwrite a newer one", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    await call(`${jobsPath(P)}/${job.id}/cancel`, { method: "POST", token: t });
    // A slow write of version 1 arriving late.
    await upsertJobRow(projectDb(env, P), job, 1);
    expect(await indexRow(job.id)).toMatchObject({ status: "CANCELLED", version: 2 });
  });
});
