import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createJob, getJob, jobStub, problem, token } from "../helpers";

const P = "proj_seed_500";

describe("seed routes when storage fails", () => {
  it("GET /api/v1/ingestion/job/{id} answers 500 'Failed to get job status: storage unavailable', no stack", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    // The object's stored job becomes unreadable (as if storage failed), then the object restarts.
    await runInDurableObject(jobStub(job.id), (_i, state) => state.storage.sql.exec("UPDATE job SET data = 'unreadable'"));
    await evictDurableObject(jobStub(job.id));
    const res = await call(`/api/v1/ingestion/job/${job.id}`, { token: t });
    expect(res.status).toBe(500);
    const body = await problem(res);
    expect(body.detail).toBe("Failed to get job status: storage unavailable");
    expect(JSON.stringify(body)).not.toMatch(/at |JSON|unreadable/);
  });

  it("DELETE /api/v1/ingestion/job/{id} answers 500 'Failed to cancel job: storage unavailable' and the job is unchanged", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    await runInDurableObject(jobStub(job.id), (_i, state) =>
      state.storage.sql.exec("CREATE TRIGGER refuse_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"),
    );
    const res = await call(`/api/v1/ingestion/job/${job.id}`, { method: "DELETE", token: t });
    expect(res.status).toBe(500);
    const body = await problem(res);
    expect(body.detail).toBe("Failed to cancel job: storage unavailable");
    expect(JSON.stringify(body)).not.toMatch(/disk I\/O|at /);
    await runInDurableObject(jobStub(job.id), (_i, state) => state.storage.sql.exec("DROP TRIGGER refuse_events"));
    await evictDurableObject(jobStub(job.id));
    expect((await getJob(t, P, job.id)).status).toBe("QUEUED");
  });

  it("still answers 404 for an unknown job (a problem, not a failure)", async () => {
    const t = await token({ projects: [P] });
    const res = await call("/api/v1/ingestion/job/0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11", { token: t });
    expect(res.status).toBe(404);
  });
});
