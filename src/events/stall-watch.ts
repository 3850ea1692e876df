/**
 * The hub's watch over its project's active jobs (the `stalls` timer of ProjectHub). A
 * job advances only on its own alarm; should that alarm be lost and nobody read the job,
 * it would stay active for good. The hub knows the project's active jobs and when each
 * last logged a frame (src/events/project-log.ts), so it nudges each one silent for
 * `STALL_AFTER_MS`: one RPC that makes the job re-arm, or fail `STALLED` once nudges stop
 * helping (src/jobs/stall.ts). Bounded: at most `CHECK_PAGE` jobs per alarm.
 */
import type { Nudge, NudgeOutcome } from "../jobs/stall";

/** Jobs nudged per hub alarm; a longer list is worked through alarm after alarm. */
export const CHECK_PAGE = 25;

/** Reaches a job's object. */
export type NudgeJob = (jobId: string, nudge: Nudge) => Promise<NudgeOutcome>;

/**
 * Nudges every silent job or batch of a page at once. A nudge that fails is logged and
 * answers null: the one nudged keeps its count and is checked again later.
 */
export function nudgeEach<T extends { heard_at: number; nudges: number }>(
  silent: T[],
  idOf: (s: T) => string,
  nudge: (id: string, n: Nudge) => Promise<NudgeOutcome>,
  now: number,
  what: "job" | "batch",
): Promise<(NudgeOutcome | null)[]> {
  return Promise.all(
    silent.map((s) =>
      nudge(idOf(s), { previous: s.nudges, silentMs: now - s.heard_at }).catch((err: unknown) => {
        const msg = what === "job" ? "stall nudge failed; checked again later" : "batch stall nudge failed; checked again later";
        console.warn(JSON.stringify({ msg, [`${what}Id`]: idOf(s), error: String(err).slice(0, 300) }));
        return null;
      }),
    ),
  );
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS stall_checks (
  job_id TEXT PRIMARY KEY,
  nudges INTEGER NOT NULL,
  checked_at INTEGER NOT NULL
);
`;

/** A silent job's row: when the hub last heard from it, and the nudges since. */
type Silent = {
  job_id: string;
  /** The project frame it was last heard in. */
  seq: number;
  heard_at: number;
  nudges: number;
};

export class StallWatch {
  constructor(
    private readonly sql: SqlStorage,
    private readonly stallAfterMs: () => number,
  ) {
    sql.exec(SCHEMA);
  }

  /** The job logged a frame: it is moving, so its nudges start again from zero. */
  heardFrom(jobId: string): void {
    this.sql.exec("DELETE FROM stall_checks WHERE job_id = ?", jobId);
  }

  /** Whether any job is active (the timer has something to watch). */
  watching(): boolean {
    return this.sql.exec("SELECT 1 FROM active_jobs LIMIT 1").toArray().length > 0;
  }

  /**
   * The timer's handler: nudges a page of the jobs silent (and not nudged) for
   * `STALL_AFTER_MS` as of `now`, and says when to look again: at once when the page was
   * full, else when the next job would be silent that long, or never with no active job.
   */
  async check(now: number, nudge: NudgeJob): Promise<number | undefined> {
    const quietSince = now - this.stallAfterMs();
    // A job's last frame may be pruned from the log (a day and 10,000 frames old): 0 then.
    const silent = this.sql
      .exec<Silent>(
        `SELECT a.job_id, a.seq, coalesce(f.at_ms, 0) AS heard_at, coalesce(s.nudges, 0) AS nudges
         FROM active_jobs a
         LEFT JOIN project_frames f ON f.project_seq = a.seq
         LEFT JOIN stall_checks s ON s.job_id = a.job_id
         WHERE coalesce(f.at_ms, 0) <= ? AND coalesce(s.checked_at, 0) <= ?
         ORDER BY a.seq LIMIT ?`,
        quietSince,
        quietSince,
        CHECK_PAGE,
      )
      .toArray();
    const outcomes = await nudgeEach(silent, (job) => job.job_id, nudge, now, "job");
    silent.forEach((job, i) => this.record(job, outcomes[i] ?? null, now));
    if (silent.length === CHECK_PAGE) return now;
    return this.nextCheck();
  }

  private record(job: Silent, outcome: NudgeOutcome | null, now: number): void {
    switch (outcome) {
      case "ended":
        // The job is over (its last frame is on its way, at least once) or gone: no
        // longer active, so neither watched nor in the project's snapshot.
        this.sql.exec("DELETE FROM active_jobs WHERE job_id = ? AND seq = ?", job.job_id, job.seq);
        this.heardFrom(job.job_id);
        return;
      case "stalled":
        // Its `job.failed` frame takes it off the active list.
        this.heardFrom(job.job_id);
        return;
      default: {
        // Waiting for its batch is no fault of the job's; an unreachable job is not counted.
        const nudges = outcome === "waiting" ? 0 : outcome === null ? job.nudges : job.nudges + 1;
        // Only while nothing was heard from it during the nudge: a frame that came in
        // meanwhile has already started its count again (or ended it).
        this.sql.exec(
          `INSERT INTO stall_checks (job_id, nudges, checked_at)
           SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM active_jobs WHERE job_id = ? AND seq = ?)
           ON CONFLICT (job_id) DO UPDATE SET nudges = excluded.nudges, checked_at = excluded.checked_at`,
          job.job_id,
          nudges,
          now,
          job.job_id,
          job.seq,
        );
      }
    }
  }

  /** When the next active job will have been silent (or un-nudged) for `STALL_AFTER_MS`. */
  private nextCheck(): number | undefined {
    const next = this.sql
      .exec<{ at: number | null }>(
        `SELECT min(max(coalesce(f.at_ms, 0), coalesce(s.checked_at, 0))) AS at
         FROM active_jobs a
         LEFT JOIN project_frames f ON f.project_seq = a.seq
         LEFT JOIN stall_checks s ON s.job_id = a.job_id`,
      )
      .one().at;
    return next === null ? undefined : next + this.stallAfterMs();
  }
}
