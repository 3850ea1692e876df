/**
 * What a job's object does when its project hub nudges it (the rules are `stall.ts`'s):
 * kept out of IngestJob, which only hands over its store, timers and commit.
 */
import type { Timers } from "../durable/timers";
import { isActive } from "../contract/status";
import type { JobTimer } from "./ingest-job";
import type { JobStore } from "./job-store";
import { failJob, type Job, type Transition } from "./lifecycle";
import { givesUp, type Nudge, type NudgeOutcome, stalledError } from "./stall";

export interface NudgeDeps {
  store: JobStore;
  timers: Timers<JobTimer>;
  commit: (t: Transition) => void;
  settle: () => Promise<void>;
  maxAttempts: number;
}

/** See `IngestJob.nudge`. */
export async function nudgeJob(deps: NudgeDeps, nudge: Nudge): Promise<NudgeOutcome> {
  const { store, timers } = deps;
  const job = store.job();
  if (!job || !isActive(job.status)) return "ended";
  if (givesUp(nudge, deps.maxAttempts)) {
    const failed = failJob(job, stalledError(nudge), new Date());
    if (!failed.ok) return "ended";
    deps.commit(failed);
    timers.unschedule("slice");
    timers.schedule("cleanup", Date.now());
    await deps.settle();
    await timers.restoreAlarm();
    return "stalled";
  }
  if (timers.scheduled("slice")) return (await timers.restoreAlarm()) ? rearmed(job, nudge, "alarm") : "armed";
  // A QUEUED job with no slice of its own waits for whoever admits it; a RUNNING one
  // always has its next slice scheduled, so one without has lost it.
  if (job.status === "QUEUED") return "waiting";
  timers.schedule("slice", Date.now());
  if (!(await timers.restoreAlarm())) await timers.arm();
  return rearmed(job, nudge, "slice");
}

/** Logged: a re-armed job is a lost alarm an operator may want to count. */
function rearmed(job: Job, nudge: Nudge, lost: "alarm" | "slice"): NudgeOutcome {
  console.warn(JSON.stringify({ msg: "job re-armed by its project hub", jobId: job.id, projectId: job.projectId, lost, silentMs: nudge.silentMs }));
  return "rearmed";
}
