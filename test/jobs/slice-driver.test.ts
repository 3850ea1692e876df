import { describe, expect, it } from "vitest";
import { createJob, startJob, type Job } from "../../src/jobs/lifecycle";
import { backoffDelay } from "../../src/backoff";
import { progressFanOutInterval } from "../../src/events/job-watchers";
import { PROGRESS_EVENT_INTERVAL_MS, SLICE_RETRY_BACKOFF, sliceStep, type SliceRules } from "../../src/jobs/slice-driver";

const rules: SliceRules = { maxAttempts: 3, progressEventIntervalMs: PROGRESS_EVENT_INTERVAL_MS };
const t0 = new Date("2026-11-01T00:00:00Z");
const at = (ms: number) => new Date(t0.getTime() + ms);
const persist = () => undefined;

function running(): Job {
  const created = createJob(
    {
      id: "j",
      projectId: "p",
      sourceId: null,
      originalFilename: "a.txt",
      sourcePath: "a.txt",
      byteSize: 10,
      mimeType: "text/plain",
      isDeepScan: false,
      options: { chunkSize: 1000, chunkOverlap: 100 },
      createdBy: "u",
    },
    t0,
  );
  const started = startJob(created.job, t0);
  if (!started.ok) throw new Error("not started");
  return started.job;
}

describe("sliceStep", () => {
  it("records progress, logging it only when the last progress event is old enough", () => {
    const fresh = sliceStep(running(), { kind: "progress", fraction: 0.5, counters: { bytesRead: 5 }, persist }, at(1000), 0, t0.getTime() + 800, rules);
    expect(fresh).toMatchObject({ ok: true, more: true, next: { kind: "slice" } });
    if (!fresh.ok) return;
    expect(fresh.commits.map((c) => [c.transition.event, c.log])).toEqual([["job.progress", false]]);
    expect(fresh.commits[0]!.transition.job.counters.bytesRead).toBe(5);
    const stale = sliceStep(running(), { kind: "progress", fraction: 0.5, counters: {}, persist }, at(1000), 0, t0.getTime() + 400, rules);
    expect(stale.ok && stale.commits[0]!.log).toBe(true);
  });

  it("logs progress by the domain's rule, at most every 500 ms whoever watches; the sockets are thinned instead (2 ms per watcher), never the stage ends", () => {
    expect([0, 1, 250, 1000, 5000].map(progressFanOutInterval)).toEqual([0, 2, 500, 2000, 10000]);
    const last = t0.getTime();
    const log = (ms: number) => {
      const step = sliceStep(running(), { kind: "progress", fraction: 0.5, counters: {}, persist }, at(ms), 0, last, rules);
      return step.ok && step.commits[0]!.log;
    };
    expect([log(499), log(500), log(2000)]).toEqual([false, true, true]);
    const end = sliceStep(running(), { kind: "stage-done", counters: {}, persist }, at(10), 0, last, rules);
    expect(end.ok && end.commits.map((c) => c.log)).toEqual([true, true]);
  });

  it("ends a stage with its last progress logged, then the next stage", () => {
    const step = sliceStep(running(), { kind: "stage-done", counters: {}, persist }, at(10), 0, 0, rules);
    expect(step.ok && step.commits.map((c) => [c.transition.event, c.log, c.transition.job.stage])).toEqual([
      ["job.progress", true, "EXTRACTING"],
      ["job.stage", true, "CHUNKING"],
    ]);
    expect(step.ok && step.persist).toBe(persist);
  });

  it("completes with the document and hands over to the clean-up", () => {
    const step = sliceStep(running(), { kind: "completed", documentId: "d", counters: {}, persist }, at(10), 0, 0, rules);
    expect(step).toMatchObject({ ok: true, more: false, next: { kind: "cleanup" } });
    expect(step.ok && step.commits.at(-1)!.transition.job).toMatchObject({ status: "COMPLETED", canonicalDocumentId: "d" });
  });

  it("retries a transient failure with exponential backoff, unlogged, until the last try fails the job", () => {
    const failed = { kind: "failed", code: "TRANSIENT", message: "R2 timeout", permanent: false } as const;
    const first = sliceStep(running(), failed, at(10), 0, 0, rules);
    expect(first).toMatchObject({ ok: true, persist: null, next: { kind: "retry", error: { code: "TRANSIENT", message: "R2 timeout" } } });
    expect(first.ok && first.commits.map((c) => [c.transition.job.status, c.log, c.transition.job.errors.length])).toEqual([["RUNNING", false, 1]]);
    expect(sliceStep(running(), failed, at(10), 1, 0, rules)).toMatchObject({ next: { kind: "retry" } });
    // The slice timer waits 1 s, then 2 s, before the retries.
    expect([0, 1].map((retry) => backoffDelay(SLICE_RETRY_BACKOFF, retry))).toEqual([1000, 2000]);
    const last = sliceStep(running(), failed, at(10), 2, 0, rules);
    expect(last).toMatchObject({ ok: true, next: { kind: "cleanup" } });
    expect(last.ok && last.commits[0]!.transition.job).toMatchObject({ status: "FAILED", errorMessage: "R2 timeout" });
  });

  it("fails at once on a permanent failure", () => {
    const step = sliceStep(running(), { kind: "failed", code: "PDF_CORRUPT", message: "corrupt", permanent: true }, at(10), 0, 0, rules);
    expect(step.ok && step.commits[0]!.transition.event).toBe("job.failed");
  });

  it("refuses to commit anything for a job that is no longer running (a cancel won)", () => {
    const cancelled = { ...running(), status: "CANCELLED" as const };
    expect(sliceStep(cancelled, { kind: "progress", fraction: 1, counters: {}, persist }, at(10), 0, 0, rules)).toEqual({
      ok: false,
      reason: "not_running",
      status: "CANCELLED",
    });
  });
});
