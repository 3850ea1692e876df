import { describe, expect, it } from "vitest";
import { stageTimes } from "../../web/stage-times";
import type { JobEvent } from "../../src/client/types";

const COUNTERS = { bytesRead: 0, pagesExtracted: 0, charactersExtracted: 0, charactersDropped: 0, chunksCreated: 0, chunksIndexed: 0, duplicatesFound: 0 };
const t0 = Date.UTC(2026, 0, 1);

function event(seq: number, type: string, ms: number, status: string, stage: string): JobEvent {
  return {
    type: type as JobEvent["type"],
    seq,
    jobId: "j",
    projectId: "p",
    at: new Date(t0 + ms).toISOString(),
    job: {
      id: "j",
      status: status as JobEvent["job"]["status"],
      stage: stage as JobEvent["job"]["stage"],
      progress: 0,
      counters: COUNTERS,
      canonicalDocumentId: null,
    },
  };
}

describe("time in each stage (web/stage-times)", () => {
  it("measures the queue wait and each stage from the first event showing it to the next stage, the last up to the end", () => {
    const events = [
      event(1, "job.created", 0, "QUEUED", "PENDING"),
      event(2, "job.started", 200, "RUNNING", "EXTRACTING"),
      event(3, "job.progress", 700, "RUNNING", "EXTRACTING"),
      event(4, "job.stage", 1_200, "RUNNING", "CHUNKING"),
      event(5, "job.stage", 1_500, "RUNNING", "INDEXING"),
      event(6, "job.completed", 4_500, "COMPLETED", "DONE"),
    ];
    expect(stageTimes(events)).toEqual([
      { stage: "QUEUED", ms: 200, running: false },
      { stage: "EXTRACTING", ms: 1_000, running: false },
      { stage: "CHUNKING", ms: 300, running: false },
      { stage: "INDEXING", ms: 3_000, running: false },
    ]);
  });

  it("counts a running job's current stage up to now, and adds a retried stage's passes together", () => {
    const events = [
      event(1, "job.created", 0, "QUEUED", "PENDING"),
      event(2, "job.started", 100, "RUNNING", "EXTRACTING"),
      event(3, "job.failed", 600, "FAILED", "EXTRACTING"),
      event(4, "job.retried", 10_000, "RUNNING", "EXTRACTING"),
    ];
    expect(stageTimes(events, t0 + 10_250)).toEqual([
      { stage: "QUEUED", ms: 100, running: false },
      { stage: "EXTRACTING", ms: 750, running: true },
    ]);
  });
});
