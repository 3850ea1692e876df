import { describe, expect, it } from "vitest";
import { call, createJob, drive, jobsPath, problem, token } from "../helpers";

const P = "proj_a";
const UNKNOWN = "0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11";

describe("GET /api/v1/ingestion/job/{job_id}", () => {
  it("returns the seed shape: pending for QUEUED, snake_case fields", async () => {
    const t = await token();
    const job = await createJob(t, P);
    const res = await call(`/api/v1/ingestion/job/${job.id}`, { token: t });
    expect(res.status).toBe(200);
    const body = await res.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      job_id: job.id,
      status: "pending",
      progress: { papers_fetched: 0, papers_created: 0, papers_updated: 0, pdfs_downloaded: 0, pdfs_processed: 0, errors: [] },
      created_at: job.createdAt,
      started_at: null,
      completed_at: null,
      errors: [],
    });
  });

  it("reports the pipeline's real counters once the job completed", async () => {
    const t = await token();
    const text = "First paragraph.\n\nSecond paragraph with more words.";
    const job = await createJob(t, P, text);
    await drive(job.id);
    const body = await (await call(`/api/v1/ingestion/job/${job.id}`, { token: t })).json<Record<string, unknown>>();
    expect(body.status).toBe("completed");
    expect(body.progress).toMatchObject({ papers_fetched: 1, papers_created: 1, pdfs_downloaded: 1, pdfs_processed: 1 });
    expect(body.stats).toMatchObject({ characters: text.length, chunks: 1, bytes_read: text.length });
    expect(body.completed_at).toBeTruthy();
  });

  it("is 404 'Job not found' for unknown and malformed ids", async () => {
    for (const id of [UNKNOWN, "garbage"]) {
      const res = await call(`/api/v1/ingestion/job/${id}`, { token: await token() });
      expect(res.status).toBe(404);
      expect((await problem(res)).detail).toBe("Job not found");
    }
  });
});

describe("DELETE /api/v1/ingestion/job/{job_id}", () => {
  it("cancels: 200 with the seed message", async () => {
    const t = await token();
    const job = await createJob(t, P);
    const res = await call(`/api/v1/ingestion/job/${job.id}`, { method: "DELETE", token: t });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: `Job ${job.id} cancelled successfully` });
    const after = await (await call(`${jobsPath(P)}/${job.id}`, { token: t })).json<{ status: string }>();
    expect(after.status).toBe("CANCELLED");
  });

  it("is 400 'Job could not be cancelled' when finished or absent", async () => {
    const t = await token();
    const job = await createJob(t, P);
    await call(`/api/v1/ingestion/job/${job.id}`, { method: "DELETE", token: t });
    for (const id of [job.id, UNKNOWN]) {
      const res = await call(`/api/v1/ingestion/job/${id}`, { method: "DELETE", token: t });
      expect(res.status).toBe(400);
      expect((await problem(res)).detail).toBe("Job could not be cancelled");
    }
  });
});

describe("POST /api/jobs/{jobId}/cancel", () => {
  it("cancels: 200 with the full job", async () => {
    const t = await token();
    const job = await createJob(t, P);
    const res = await call(`/api/jobs/${job.id}/cancel`, { method: "POST", token: t });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: job.id, status: "CANCELLED" });
  });

  it("is 400 when not cancellable and 404 when absent", async () => {
    const t = await token();
    const job = await createJob(t, P);
    await call(`/api/jobs/${job.id}/cancel`, { method: "POST", token: t });
    const again = await call(`/api/jobs/${job.id}/cancel`, { method: "POST", token: t });
    expect(again.status).toBe(400);
    expect((await problem(again)).detail).toBe("Job cannot be cancelled. Current status: CANCELLED");
    expect((await call(`/api/jobs/${UNKNOWN}/cancel`, { method: "POST", token: t })).status).toBe(404);
  });

  it("is 403 for a viewer of the job's project", async () => {
    const job = await createJob(await token(), P);
    const res = await call(`/api/jobs/${job.id}/cancel`, { method: "POST", token: await token({ roles: ["viewer"] }) });
    expect(res.status).toBe(403);
  });
});
