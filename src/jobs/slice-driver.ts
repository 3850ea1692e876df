/**
 * Maps what a pipeline slice produced to lifecycle transitions and to what runs next.
 * Pure: the object commits the transitions (and the slice's `persist`) in one
 * synchronous block, then schedules what this says.
 */
import { advanceStage, completeJob, failJob, recordAttemptFailure, recordProgress, type Job, type Refusal, type Result, type Transition } from "./lifecycle";
import type { SliceOutcome } from "./stages/stage";

export interface SliceRules {
  /** Tries of one slice before the job fails (STAGE_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** A failed slice is retried after retryBaseMs · 2^(tries − 1). */
  retryBaseMs: number;
  /** `job.progress` is logged at most this often (DESIGN §5). */
  progressEventIntervalMs: number;
}

/** `job.progress` is logged at most this often with few watchers (DESIGN §5: a few per second). */
export const PROGRESS_EVENT_INTERVAL_MS = 500;
/**
 * ...and at least this many ms apart per watcher socket: a frame costs the job's thread
 * ~40 µs per socket (the runtime's `WebSocket.send`, measured with `npm run bench:profile
 * -- --workload fanout`), so progress frames stay near 2 % of the thread however many
 * watch (1,000 watchers: one every 2 s). Stage changes and the end are always logged.
 */
export const PROGRESS_EVENT_MS_PER_WATCHER = 2;

/** How often `job.progress` is logged while `watchers` sockets watch the job. */
export function progressEventInterval(watchers: number): number {
  return Math.max(PROGRESS_EVENT_INTERVAL_MS, watchers * PROGRESS_EVENT_MS_PER_WATCHER);
}

/** What runs after the slice: the next slice (now, or a retry later), or the clean-up. */
export type Next = { kind: "slice"; delayMs: number; tries: number } | { kind: "cleanup" };

export interface SliceStep {
  /** In order; `log` false keeps the change out of the event log (throttled progress, a retry). */
  commits: { transition: Transition; log: boolean }[];
  /** The slice's own writes, to run with the commits. */
  persist: (() => void) | null;
  next: Next;
  /** True when the next slice may run in the same alarm. */
  more: boolean;
}

/**
 * The step for `outcome` of a slice of `job` (RUNNING), given the tries this slice has
 * already failed and when progress was last logged (epoch ms).
 */
export function sliceStep(
  job: Job,
  outcome: SliceOutcome,
  now: Date,
  failedTries: number,
  lastProgressEventAt: number,
  rules: SliceRules,
): Result<SliceStep, Refusal> {
  switch (outcome.kind) {
    case "progress": {
      const p = recordProgress(job, outcome.fraction, outcome.counters, now, outcome.skipped);
      if (!p.ok) return p;
      const log = now.getTime() - lastProgressEventAt >= rules.progressEventIntervalMs;
      return step([{ transition: p, log }], outcome.persist, { kind: "slice", delayMs: 0, tries: 0 }, true);
    }
    case "stage-done": {
      const p = recordProgress(job, 1, outcome.counters, now, outcome.skipped);
      if (!p.ok) return p;
      const a = advanceStage(p.job, now);
      if (!a.ok) return a;
      return step(
        [
          { transition: p, log: true },
          { transition: a, log: true },
        ],
        outcome.persist,
        { kind: "slice", delayMs: 0, tries: 0 },
        true,
      );
    }
    case "completed": {
      const p = recordProgress(job, 1, outcome.counters, now);
      if (!p.ok) return p;
      const c = completeJob(p.job, outcome.documentId, now);
      if (!c.ok) return c;
      return step(
        [
          { transition: p, log: true },
          { transition: c, log: true },
        ],
        outcome.persist,
        { kind: "cleanup" },
        false,
      );
    }
    case "failed": {
      const error = { code: outcome.code, message: outcome.message };
      const tries = failedTries + 1;
      if (outcome.permanent || tries >= rules.maxAttempts) {
        const f = failJob(job, error, now);
        if (!f.ok) return f;
        return step([{ transition: f, log: true }], null, { kind: "cleanup" }, false);
      }
      const r = recordAttemptFailure(job, error, now);
      if (!r.ok) return r;
      return step([{ transition: r, log: false }], null, { kind: "slice", delayMs: rules.retryBaseMs * 2 ** (tries - 1), tries }, false);
    }
  }
}

function step(commits: SliceStep["commits"], persist: SliceStep["persist"], next: Next, more: boolean): { ok: true } & SliceStep {
  return { ok: true, commits, persist, next, more };
}
