/**
 * The `slice` timer of a job's object: runs bounded slices of the pipeline back to back
 * (each checkpointed on its own) within one alarm's budget, commits what each produced
 * (as `sliceStep` says) and tells the timer when the next is due. A slice that failed
 * but may be retried throws, after recording the failed try, so the timer backs off.
 */
import { AlarmWorkBudget } from "../pipeline/limits";
import type { JobWatchers } from "../events/job-watchers";
import type { IndexWriter } from "./index-writer";
import type { JobStore } from "./job-store";
import { startJob, type Transition } from "./lifecycle";
import { sliceStep, type SliceRules } from "./slice-driver";
import type { PipelineRunner } from "./slice-runner";

/** How much one alarm does before it re-arms. */
export interface SliceLimits {
  /** Slices back to back (several spare the per-alarm round trips without making any one bigger). */
  slices: number;
  /** Wall time (Date.now() advances on I/O only). */
  wallMs: number;
}

export const ALARM_SLICE_LIMITS: SliceLimits = { slices: 8, wallMs: 250 };

/** A retryable slice failure; the slice timer retries it after its backoff. */
export class SliceFailed extends Error {
  override name = "SliceFailed";
}

/** What the loop needs of its object. */
export interface SliceHost {
  store: JobStore;
  runner: PipelineRunner;
  index: IndexWriter;
  watchers: JobWatchers;
  /** Commits a transition and, when `log`, its event. */
  commit(t: Transition, log: boolean): void;
  /** The job has ended: its clean-up is scheduled. */
  finished(): void;
  /** The index row and the hub catch up. */
  settle(): Promise<void>;
  rules(): SliceRules;
  limits(): SliceLimits;
  /** SLICE_DECODED_BYTES: the bytes the slices of one alarm may parse. */
  decodedBytesPerAlarm(): number;
}

type SliceResult = "more" | "done";

export class SliceLoop {
  constructor(private readonly host: SliceHost) {}

  /**
   * The timer's handler: `failedTries` are this slice's failed tries so far. A retry
   * runs alone, so a later slice's failure in the same alarm is counted from zero.
   * Returns when the next slice is due, or nothing when the job has no more slices.
   */
  async run(failedTries: number): Promise<number | undefined> {
    const { host } = this;
    const limits = host.limits();
    const deadline = Date.now() + limits.wallMs;
    const work = new AlarmWorkBudget(host.decodedBytesPerAlarm());
    const slices = failedTries > 0 ? 1 : limits.slices;
    try {
      for (let n = 0; ; n++) {
        const result = await this.runSlice(failedTries);
        // Each status or stage change gets its own index write, however many share an
        // alarm, so a job's D1 statements do not depend on how its slices fall.
        await host.index.flushUrgent();
        if (result === "done") return undefined;
        // Date.now() stands still during pure CPU in workerd: the bytes the slices parsed bound the alarm too.
        if (n + 1 >= slices || Date.now() >= deadline || !work.allowsAnother(host.runner.takeWorkBytes())) return Date.now();
        // If the slice sent frames, let the runtime flush them (they wait for the thread).
        // Otherwise keep going: slices with no I/O between them then share one storage
        // commit (yielding after every slice cost a third of the chunking stage's speed).
        if (host.watchers.takeSent()) await scheduler.wait(0);
      }
    } finally {
      await host.settle();
    }
  }

  /** One bounded slice of pipeline work (see `PipelineRunner`). */
  private async runSlice(failedTries: number): Promise<SliceResult> {
    const { host } = this;
    const queued = host.store.job();
    if (queued?.status === "QUEUED") {
      const started = startJob(queued, new Date());
      if (started.ok) host.commit(started, true);
      await host.index.flushUrgent();
    }
    const job = host.store.job();
    if (!job || job.status !== "RUNNING") return "done";
    const outcome = await host.runner.runSlice(job);
    // Re-read after the await: a cancel may have been committed meanwhile.
    const current = host.store.job();
    const step = current ? sliceStep(current, outcome, new Date(), failedTries, host.store.lastProgressEventAt(), host.rules()) : null;
    if (!step?.ok) {
      // Cancelled while the slice awaited: nothing of it is committed, and what it
      // started outside the object (an upload) is undone; the clean-up removes the rest.
      if (outcome.kind !== "failed" && outcome.kind !== "completed") await outcome.discard?.().catch(() => undefined);
      return "done";
    }
    // One synchronous block: the slice's rows, the job, its events, the next work.
    step.persist?.();
    for (const c of step.commits) host.commit(c.transition, c.log);
    switch (step.next.kind) {
      case "cleanup":
        host.finished();
        return "done";
      case "retry":
        throw new SliceFailed(`${step.next.error.code}: ${step.next.error.message}`);
      case "slice":
        return "more";
    }
  }
}
