import { describe, expect, it } from "vitest";
import { addPage, applyFrame, applySnapshot, emptyList, mergeJob, upsertJobs } from "../../web/jobs-state";
import type { Job, JobEvent } from "../../src/client/types";

const COUNTERS = { bytesRead: 0, pagesExtracted: 0, charactersExtracted: 0, charactersDropped: 0, chunksCreated: 0, chunksIndexed: 0, duplicatesFound: 0 };

function job(id: string, createdAt: string, patch: Partial<Job> = {}): Job {
  return {
    id,
    projectId: "p",
    sourceId: null,
    originalFilename: `${id}.md`,
    sourcePath: `${id}.md`,
    byteSize: 10,
    mimeType: "text/markdown",
    isDeepScan: false,
    status: "RUNNING",
    stage: "CHUNKING",
    progress: 0.5,
    counters: COUNTERS,
    attempts: 1,
    errorMessage: null,
    errors: [],
    canonicalDocumentId: null,
    createdBy: "alice",
    createdAt,
    updatedAt: createdAt,
    startedAt: createdAt,
    completedAt: null,
    deletedAt: null,
    options: { chunkSize: 1000, chunkOverlap: 100 },
    ...patch,
  };
}

function frame(j: Job, type: JobEvent["type"], seq: number, patch: Partial<Job> = {}): JobEvent {
  const next = { ...j, ...patch };
  return {
    type,
    seq,
    jobId: j.id,
    projectId: "p",
    at: j.createdAt,
    job: { id: j.id, status: next.status, stage: next.stage, progress: next.progress, counters: COUNTERS },
  };
}

const T1 = "2026-01-01T00:00:01.000Z";
const T2 = "2026-01-01T00:00:02.000Z";
const T3 = "2026-01-01T00:00:03.000Z";

describe("dashboard jobs list (web/jobs-state)", () => {
  it("keeps jobs newest first, by createdAt then id, whatever order they arrive in", () => {
    const list = upsertJobs(emptyList(), [job("a", T1), job("c", T2), job("b", T2)], {});
    expect(list.jobs.map((j) => j.id)).toEqual(["c", "b", "a"]);
  });

  it("never moves progress or stage backwards, and never reopens a finished job", () => {
    const done = job("a", T1, { status: "COMPLETED", stage: "DONE", progress: 1 });
    expect(mergeJob(done, { ...done, status: "RUNNING", stage: "CHUNKING", progress: 0.4 })).toEqual(done);
    const running = job("b", T1, { stage: "INDEXING", progress: 0.8 });
    expect(mergeJob(running, { ...running, stage: "CHUNKING", progress: 0.7 })).toMatchObject({ stage: "INDEXING", progress: 0.8 });
    // A cancel keeps the stage it was in, with the status it reached.
    expect(mergeJob(running, { ...running, status: "CANCELLED", stage: "CHUNKING", progress: 0.8 })).toMatchObject({ status: "CANCELLED", stage: "CHUNKING" });
  });

  it("patches a known job from a frame, and asks for a job it does not know", () => {
    const a = job("a", T1);
    const list = upsertJobs(emptyList(), [a], {});
    const moved = applyFrame(list, frame(a, "job.progress", 5, { progress: 0.75 }));
    expect(moved.fetch).toBeNull();
    expect(moved.list.jobs[0]!.progress).toBe(0.75);
    expect(applyFrame(list, frame(job("new", T3), "job.created", 1)).fetch).toBe("new");
  });

  it("fetches a job in full once it finishes (errors, document), and drops a deleted one", () => {
    const a = job("a", T1);
    const list = upsertJobs(emptyList(), [a], {});
    const done = applyFrame(list, frame(a, "job.completed", 9, { status: "COMPLETED", stage: "DONE", progress: 1 }));
    expect(done.fetch).toBe("a");
    expect(done.list.jobs[0]!.status).toBe("COMPLETED");
    expect(applyFrame(done.list, frame(a, "job.deleted", 10)).list.jobs).toEqual([]);
  });

  it("adds only jobs that match the filters in the URL", () => {
    const list = upsertJobs(emptyList(), [job("a", T1), job("b", T2, { status: "FAILED" }), job("c", T3, { sourceId: "s1" })], {
      status: "RUNNING",
      sourceId: "s1",
    });
    expect(list.jobs.map((j) => j.id)).toEqual(["c"]);
  });

  it("does not add a job older than the loaded pages while more pages remain (the cursor will bring it)", () => {
    const list = addPage(emptyList(), { items: [job("b", T2)], nextCursor: "more" }, {});
    expect(upsertJobs(list, [job("a", T1)], {}).jobs.map((j) => j.id)).toEqual(["b"]);
    expect(upsertJobs(list, [job("c", T3)], {}).jobs.map((j) => j.id)).toEqual(["c", "b"]);
  });

  it("takes a project snapshot's progress for jobs it shows, and fetches the ones it does not know or that finished meanwhile", () => {
    const list = upsertJobs(emptyList(), [job("gone", T1), job("still", T2, { progress: 0.1 })], {});
    const summary = (j: Job) => ({ id: j.id, status: j.status, stage: j.stage, progress: j.progress, counters: COUNTERS });
    const { list: next, fetch } = applySnapshot(list, [summary(job("still", T2, { progress: 0.6 })), summary(job("fresh", T3, { status: "QUEUED" }))]);
    expect(fetch).toEqual(["gone", "fresh"]);
    expect(next.jobs.map((j) => [j.id, j.progress])).toEqual([
      ["still", 0.6],
      ["gone", 0.5],
    ]);
  });
});
