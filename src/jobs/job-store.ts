/**
 * The IngestJob object's own SQLite storage: the job, its event log, and the table of
 * due work that the object's single alarm is multiplexed over. Every method is
 * synchronous, so writes made without an `await` in between commit atomically.
 */
import type { Job, JobEventType } from "./lifecycle";
import { clampAlarmTime } from "./alarm-time";

/** One frame of the job's event log (DESIGN §5), exactly as watchers receive it. */
export interface JobEvent {
  type: JobEventType;
  seq: number;
  jobId: string;
  projectId: string;
  at: string;
  job: Pick<Job, "id" | "status" | "stage" | "progress" | "counters">;
}

/**
 * Kinds of work the alarm runs: an index write to retry, a pipeline slice, a clean-up,
 * events to forward to the project hub and queue, watcher tokens to expire.
 */
export type WorkKind = "index" | "slice" | "cleanup" | "forward" | "expiry";

export interface Work {
  kind: WorkKind;
  due: number;
  attempts: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS job (
  k INTEGER PRIMARY KEY CHECK (k = 1),
  data TEXT NOT NULL,
  version INTEGER NOT NULL,
  indexed_version INTEGER NOT NULL DEFAULT 0,
  last_progress_event_at INTEGER NOT NULL DEFAULT 0,
  forwarded_seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  at TEXT NOT NULL,
  frame TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS work (
  kind TEXT PRIMARY KEY,
  due INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0
);
`;

export class JobStore {
  private cached: { job: Job; version: number; indexedVersion: number } | null | undefined;

  constructor(private readonly storage: DurableObjectStorage) {
    storage.sql.exec(SCHEMA);
  }

  private get sql() {
    return this.storage.sql;
  }

  /** The job, or null before `create`. Cached in memory; storage stays the truth. */
  job(): Job | null {
    return this.state()?.job ?? null;
  }

  /** The job with its commit counter and the newest version known to be in D1. */
  state(): { job: Job; version: number; indexedVersion: number } | null {
    if (this.cached === undefined) {
      const row = this.sql
        .exec<{ data: string; version: number; indexed_version: number }>(
          "SELECT data, version, indexed_version FROM job WHERE k = 1",
        )
        .toArray()[0];
      this.cached = row
        ? { job: JSON.parse(row.data) as Job, version: row.version, indexedVersion: row.indexed_version }
        : null;
    }
    return this.cached;
  }

  /**
   * Commits a new state of the job and, when `event` is given, appends it to the log
   * with the next `seq`, in one atomic step: an event is logged exactly when its change is.
   */
  commit(job: Job, event: JobEventType | null): JobEvent | null {
    const prev = this.state();
    const version = (prev?.version ?? 0) + 1;
    let frame: JobEvent | null = null;
    this.storage.transactionSync(() => {
      this.sql.exec(
        `INSERT INTO job (k, data, version) VALUES (1, ?, ?)
         ON CONFLICT (k) DO UPDATE SET data = excluded.data, version = excluded.version`,
        JSON.stringify(job),
        version,
      );
      if (event) {
        const seq = this.lastSeq() + 1;
        frame = {
          type: event,
          seq,
          jobId: job.id,
          projectId: job.projectId,
          at: job.updatedAt,
          job: { id: job.id, status: job.status, stage: job.stage, progress: job.progress, counters: job.counters },
        };
        this.sql.exec("INSERT INTO events (seq, type, at, frame) VALUES (?, ?, ?, ?)", seq, event, frame.at, JSON.stringify(frame));
        if (event === "job.progress") {
          this.sql.exec("UPDATE job SET last_progress_event_at = ? WHERE k = 1", Date.parse(job.updatedAt));
        }
      }
    });
    this.cached = { job, version, indexedVersion: prev?.indexedVersion ?? 0 };
    return frame;
  }

  /** When the last `job.progress` event was logged (epoch ms), for throttling. */
  lastProgressEventAt(): number {
    return this.sql.exec<{ t: number }>("SELECT last_progress_event_at AS t FROM job WHERE k = 1").toArray()[0]?.t ?? 0;
  }

  /** The last `seq` handed to the project hub and the queue. */
  forwardedSeq(): number {
    return this.sql.exec<{ s: number }>("SELECT forwarded_seq AS s FROM job WHERE k = 1").toArray()[0]?.s ?? 0;
  }

  markForwarded(seq: number): void {
    this.sql.exec("UPDATE job SET forwarded_seq = max(forwarded_seq, ?) WHERE k = 1", seq);
  }

  /** Records that D1 holds at least `version` of the row. */
  markIndexed(version: number): void {
    this.sql.exec("UPDATE job SET indexed_version = max(indexed_version, ?) WHERE k = 1", version);
    if (this.cached) this.cached.indexedVersion = Math.max(this.cached.indexedVersion, version);
  }

  lastSeq(): number {
    return this.sql.exec<{ seq: number | null }>("SELECT max(seq) AS seq FROM events").toArray()[0]?.seq ?? 0;
  }

  /** Logged events with `seq > after`, in order, at most `limit`. */
  events(after: number, limit = 1000): JobEvent[] {
    return this.sql
      .exec<{ frame: string }>("SELECT frame FROM events WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
      .toArray()
      .map((r) => JSON.parse(r.frame) as JobEvent);
  }

  /**
   * Puts `kind` on the schedule at `due` (replacing an earlier entry of that kind),
   * clamped to what `setAlarm` accepts: no bad date is ever stored.
   */
  schedule(kind: WorkKind, due: number, attempts = 0): void {
    due = clampAlarmTime(due);
    this.sql.exec(
      "INSERT INTO work (kind, due, attempts) VALUES (?, ?, ?) ON CONFLICT (kind) DO UPDATE SET due = excluded.due, attempts = excluded.attempts",
      kind,
      due,
      attempts,
    );
  }

  unschedule(kind: WorkKind): void {
    this.sql.exec("DELETE FROM work WHERE kind = ?", kind);
  }

  scheduled(kind: WorkKind): Work | null {
    return (this.sql.exec("SELECT kind, due, attempts FROM work WHERE kind = ?", kind).toArray()[0] as Work | undefined) ?? null;
  }

  /** Work due at or before `horizon`, earliest first. */
  dueWork(horizon: number): Work[] {
    return this.sql.exec("SELECT kind, due, attempts FROM work WHERE due <= ? ORDER BY due", horizon).toArray() as unknown as Work[];
  }

  /** The earliest scheduled work other than `except`, due or not. */
  earliestWork(except: WorkKind): Work | null {
    return (this.sql.exec("SELECT kind, due, attempts FROM work WHERE kind != ? ORDER BY due LIMIT 1", except).toArray()[0] as Work | undefined) ?? null;
  }

  nextDue(): number | null {
    return this.sql.exec<{ due: number | null }>("SELECT min(due) AS due FROM work").toArray()[0]?.due ?? null;
  }
}
