import { describe, expect, it } from "vitest";
import { call, createJob, drive, getJob, jobsPath, problem, step, token } from "../helpers";

const P = "proj_a";

describe("POST /jobs (raw upload)", () => {
  it("creates a QUEUED job with a Location header and the full shape", async () => {
    const t = await token({ sub: "alice", roles: ["editor"], projects: [P] });
    const body = new TextEncoder().encode("# Title\n\nSome text.");
    const res = await call(`${jobsPath(P)}?filename=notes.md&sourceId=src_1&sourcePath=dir/notes.md&isDeepScan=true`, {
      method: "POST",
      token: t,
      body,
      headers: { "Content-Type": "text/markdown", "Content-Length": String(body.byteLength) },
    });
    expect(res.status).toBe(201);
    const job = await res.json<Record<string, unknown>>();
    expect(res.headers.get("Location")).toBe(`/api/projects/${P}/ingest/jobs/${job.id}`);
    expect(res.headers.get("X-Request-Id")).toBeTruthy();
    expect(job).toMatchObject({
      projectId: P,
      sourceId: "src_1",
      sourcePath: "dir/notes.md",
      originalFilename: "notes.md",
      byteSize: body.byteLength,
      mimeType: "text/markdown",
      isDeepScan: true,
      status: "QUEUED",
      stage: "PENDING",
      progress: 0,
      attempts: 0,
      errorMessage: null,
      errors: [],
      canonicalDocumentId: null,
      createdBy: "alice",
      startedAt: null,
      completedAt: null,
      options: { chunkSize: 1000, chunkOverlap: 100 },
    });
    expect(job.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Date(job.createdAt as string).toISOString()).toBe(job.createdAt);
  });

  it("accepts chunking options and rejects inconsistent ones with 400", async () => {
    const t = await token();
    const job = await createJob(t, P, "text", { query: { chunkSize: "500", chunkOverlap: "50" } });
    expect(job.options).toEqual({ chunkSize: 500, chunkOverlap: 50 });
    for (const q of ["chunkSize=50", "chunkSize=abc", "chunkSize=1000&chunkOverlap=600", "isDeepScan=maybe"]) {
      const res = await call(`${jobsPath(P)}?filename=a.txt&${q}`, {
        method: "POST",
        token: t,
        body: "abc",
        headers: { "Content-Type": "text/plain", "Content-Length": "3" },
      });
      expect(res.status, q).toBe(400);
      expect((await problem(res)).detail.length).toBeGreaterThan(0);
    }
  });

  it("requires a filename for a raw upload", async () => {
    const res = await call(jobsPath(P), {
      method: "POST",
      token: await token(),
      body: "abc",
      headers: { "Content-Type": "text/plain", "Content-Length": "3" },
    });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toMatch(/filename/);
  });
});

describe("GET /jobs/{jobId}", () => {
  it("returns the job to any role of the project", async () => {
    const job = await createJob(await token(), P);
    for (const role of ["viewer", "editor", "dispatcher", "admin"]) {
      const got = await getJob(await token({ roles: [role], projects: [P] }), P, job.id);
      expect(got.id).toBe(job.id);
    }
  });

  it("is 404 with the DESIGN detail for unknown, malformed and other-project ids", async () => {
    const t = await token({ projects: [P, "proj_b"] });
    const other = await createJob(t, "proj_b");
    for (const id of ["0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11", "not-a-uuid", other.id]) {
      const res = await call(`${jobsPath(P)}/${id}`, { token: t });
      expect(res.status).toBe(404);
      expect((await problem(res)).detail).toBe("Ingest job not found");
    }
  });
});

describe("POST /jobs/{jobId}/cancel", () => {
  it("cancels a queued job: 200, CANCELLED, completedAt set, alarm gone", async () => {
    const t = await token();
    const job = await createJob(t, P);
    const res = await call(`${jobsPath(P)}/${job.id}/cancel`, { method: "POST", token: t });
    expect(res.status).toBe(200);
    const cancelled = await res.json<Record<string, unknown>>();
    expect(cancelled).toMatchObject({ status: "CANCELLED", stage: "PENDING" });
    expect(cancelled.completedAt).toBeTruthy();
    await drive(job.id); // only the clean-up is left
    expect((await getJob(t, P, job.id)).status).toBe("CANCELLED");
  });

  it("cancels a running job, keeping its stage", async () => {
    const t = await token();
    const job = await createJob(t, P, "x".repeat(5000));
    await step(job.id);
    expect((await getJob(t, P, job.id)).status).toBe("RUNNING");
    const res = await call(`${jobsPath(P)}/${job.id}/cancel`, { method: "POST", token: t });
    const cancelled = await res.json<Record<string, unknown>>();
    expect(cancelled.status).toBe("CANCELLED");
    expect(cancelled.stage).not.toBe("PENDING");
  });

  it("is 400 with the current status for a finished job, which stays unchanged", async () => {
    const t = await token();
    const job = await createJob(t, P);
    await call(`${jobsPath(P)}/${job.id}/cancel`, { method: "POST", token: t });
    const res = await call(`${jobsPath(P)}/${job.id}/cancel`, { method: "POST", token: t });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toBe("Job cannot be cancelled. Current status: CANCELLED");
  });

  it("is 400 'Current status: COMPLETED' for a completed job", async () => {
    const t = await token();
    const job = await createJob(t, P, "A short text to complete.");
    await drive(job.id);
    expect((await getJob(t, P, job.id)).status).toBe("COMPLETED");
    const res = await call(`${jobsPath(P)}/${job.id}/cancel`, { method: "POST", token: t });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toBe("Job cannot be cancelled. Current status: COMPLETED");
    expect((await getJob(t, P, job.id)).status).toBe("COMPLETED");
  });

  it("lets exactly one of two racing cancels win", async () => {
    const t = await token({ roles: ["dispatcher"] });
    const job = await createJob(await token(), P);
    const [a, b] = await Promise.all([
      call(`${jobsPath(P)}/${job.id}/cancel`, { method: "POST", token: t }),
      call(`${jobsPath(P)}/${job.id}/cancel`, { method: "POST", token: t }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 400]);
    const loser = a.status === 400 ? a : b;
    expect((await problem(loser)).detail).toBe("Job cannot be cancelled. Current status: CANCELLED");
  });

  it("is 404 for an unknown job", async () => {
    const res = await call(`${jobsPath(P)}/0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11/cancel`, { method: "POST", token: await token() });
    expect(res.status).toBe(404);
    expect((await problem(res)).detail).toBe("Ingest job not found");
  });
});

describe("DELETE /jobs/{jobId}", () => {
  it("refuses a queued or running job with the DESIGN message", async () => {
    const t = await token();
    const queued = await createJob(t, P);
    let res = await call(`${jobsPath(P)}/${queued.id}`, { method: "DELETE", token: t });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toBe("Cannot delete job with status QUEUED. Cancel the job first.");

    const running = await createJob(t, P, "y".repeat(4000));
    await step(running.id);
    res = await call(`${jobsPath(P)}/${running.id}`, { method: "DELETE", token: t });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toBe("Cannot delete job with status RUNNING. Cancel the job first.");
  });

  it("deletes a finished job: 204, then 404 on get, cancel, delete and absent from the list", async () => {
    const t = await token();
    const job = await createJob(t, P);
    await call(`${jobsPath(P)}/${job.id}/cancel`, { method: "POST", token: t });
    const res = await call(`${jobsPath(P)}/${job.id}`, { method: "DELETE", token: t });
    expect(res.status).toBe(204);
    expect((await call(`${jobsPath(P)}/${job.id}`, { token: t })).status).toBe(404);
    expect((await call(`${jobsPath(P)}/${job.id}`, { method: "DELETE", token: t })).status).toBe(404);
    expect((await call(`${jobsPath(P)}/${job.id}/cancel`, { method: "POST", token: t })).status).toBe(404);
    const list = await (await call(`${jobsPath(P)}?limit=100`, { token: t })).json<{ items: { id: string }[] }>();
    expect(list.items.map((j) => j.id)).not.toContain(job.id);
  });

  it("is 404 for an unknown job", async () => {
    const res = await call(`${jobsPath(P)}/0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11`, { method: "DELETE", token: await token() });
    expect(res.status).toBe(404);
  });
});

describe("errors", () => {
  it("renders unknown routes as problems with a request id", async () => {
    const res = await call("/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("X-Request-Id")).toBeTruthy();
    expect((await problem(res)).detail).toMatch(/No route/);
  });

  it("echoes a caller's X-Request-Id", async () => {
    const res = await call("/health", { headers: { "X-Request-Id": "abc-123" } });
    expect(res.headers.get("X-Request-Id")).toBe("abc-123");
  });
});
