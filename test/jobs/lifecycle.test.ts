import { describe, expect, it } from "vitest";
import {
  advanceStage,
  cancelJob,
  completeJob,
  createJob,
  deleteJob,
  failJob,
  overallProgress,
  recordAttemptFailure,
  recordProgress,
  startJob,
  stagesFor,
  type Job,
  type JobStatus,
  type Transition,
  type TransitionResult,
} from "../../src/jobs/lifecycle";

const t0 = new Date("2026-11-01T00:00:00Z");
const later = (s: number) => new Date(t0.getTime() + s * 1000);

function queued(isDeepScan = false): Job {
  return createJob(
    {
      id: "0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11",
      projectId: "p",
      sourceId: null,
      originalFilename: "a.txt",
      sourcePath: "a.txt",
      byteSize: 10,
      mimeType: "text/plain",
      isDeepScan,
      options: { chunkSize: 1000, chunkOverlap: 100 },
      createdBy: "alice",
    },
    t0,
  ).job;
}

function withStatus(status: JobStatus): Job {
  return { ...queued(), status };
}

/** The transition of an accepted command (fails the test on a refusal). */
function ok(r: TransitionResult): Transition {
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r;
}

describe("lifecycle", () => {
  it("creates QUEUED/PENDING with progress 0 and equal timestamps", () => {
    const j = queued();
    expect(j).toMatchObject({ status: "QUEUED", stage: "PENDING", progress: 0, startedAt: null, completedAt: null, deletedAt: null });
    expect(j.createdAt).toBe(j.updatedAt);
  });

  it("walks the stages in order; ANALYZING only for a deep scan", () => {
    expect(stagesFor(false)).toEqual(["EXTRACTING", "CHUNKING", "INDEXING"]);
    expect(stagesFor(true)).toEqual(["EXTRACTING", "CHUNKING", "ANALYZING", "INDEXING"]);
    for (const deep of [false, true]) {
      let t = ok(startJob(queued(deep), later(1)));
      expect(t).toMatchObject({ event: "job.started", job: { status: "RUNNING", stage: "EXTRACTING", startedAt: later(1).toISOString() } });
      const seen = [t.job.stage];
      while (t.job.stage !== "INDEXING") {
        t = ok(advanceStage(t.job, later(2)));
        expect(t.event).toBe("job.stage");
        seen.push(t.job.stage);
      }
      expect(seen).toEqual(stagesFor(deep));
      const done = ok(completeJob(t.job, "doc", later(3)));
      expect(done).toMatchObject({ event: "job.completed", job: { status: "COMPLETED", stage: "DONE", progress: 1, canonicalDocumentId: "doc" } });
      expect(done.job.completedAt).toBe(later(3).toISOString());
    }
  });

  it("never lets progress decrease or counters shrink", () => {
    let job = ok(startJob(queued(), later(1))).job;
    job = ok(recordProgress(job, 0.8, { bytesRead: 100 }, later(2))).job;
    const replayed = ok(recordProgress(job, 0.3, { bytesRead: 40 }, later(3))).job;
    expect(replayed.progress).toBe(job.progress);
    expect(replayed.counters.bytesRead).toBe(100);
    const next = ok(advanceStage(job, later(4))).job;
    expect(next.progress).toBeGreaterThanOrEqual(job.progress);
    expect(overallProgress("EXTRACTING", 1, false)).toBe(overallProgress("CHUNKING", 0, false));
    expect(overallProgress("INDEXING", 1, true)).toBe(1);
  });

  it("cancels only QUEUED and RUNNING jobs, keeping the stage", () => {
    for (const status of ["QUEUED", "RUNNING"] as const) {
      const r = cancelJob({ ...withStatus(status), stage: "CHUNKING" }, later(5));
      expect(r).toMatchObject({ ok: true, event: "job.cancelled", job: { status: "CANCELLED", stage: "CHUNKING", completedAt: later(5).toISOString() } });
    }
    for (const status of ["COMPLETED", "FAILED", "CANCELLED"] as const) {
      expect(cancelJob(withStatus(status), later(5))).toEqual({ ok: false, reason: "not_cancellable", status });
    }
    expect(cancelJob({ ...withStatus("RUNNING"), deletedAt: "x" }, later(5))).toEqual({ ok: false, reason: "already_deleted" });
  });

  it("deletes only finished jobs, once; delete is orthogonal to status", () => {
    for (const status of ["QUEUED", "RUNNING"] as const) {
      expect(deleteJob(withStatus(status), later(5))).toEqual({ ok: false, reason: "not_deletable", status });
    }
    for (const status of ["COMPLETED", "FAILED", "CANCELLED"] as const) {
      const r = deleteJob(withStatus(status), later(5));
      expect(r).toMatchObject({ ok: true, event: "job.deleted", job: { status, deletedAt: later(5).toISOString() } });
      if (r.ok) expect(deleteJob(r.job, later(6))).toEqual({ ok: false, reason: "already_deleted" });
    }
  });

  it("records failed tries, then fails in the stage it was in", () => {
    let job = ok(startJob(queued(), later(1))).job;
    job = ok(recordAttemptFailure(job, { code: "R2", message: "timeout" }, later(2))).job;
    expect(job).toMatchObject({
      status: "RUNNING",
      attempts: 2,
      errors: [{ stage: "EXTRACTING", code: "R2", message: "timeout", at: later(2).toISOString() }],
    });
    const failed = ok(failJob(job, { code: "R2", message: "gave up" }, later(3)));
    expect(failed).toMatchObject({ event: "job.failed", job: { status: "FAILED", stage: "EXTRACTING", errorMessage: "gave up" } });
    expect(failed.job.errors).toHaveLength(2);
    expect(failJob(failed.job, { code: "x", message: "y" }, later(4))).toEqual({ ok: false, reason: "not_running", status: "FAILED" });
  });

  it("refuses transitions from the wrong status", () => {
    expect(startJob(withStatus("RUNNING"), later(1))).toEqual({ ok: false, reason: "not_queued", status: "RUNNING" });
    const refused = { ok: false, reason: "not_running", status: "CANCELLED" };
    expect(advanceStage(withStatus("CANCELLED"), later(1))).toEqual(refused);
    expect(recordProgress(withStatus("CANCELLED"), 1, {}, later(1))).toEqual(refused);
    expect(completeJob(withStatus("CANCELLED"), "d", later(1))).toEqual(refused);
    expect(recordAttemptFailure(withStatus("CANCELLED"), { code: "x", message: "y" }, later(1))).toEqual(refused);
  });
});
