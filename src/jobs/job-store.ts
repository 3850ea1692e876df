/**
 * The IngestJob object's own SQLite storage: the job and its event log (the timers'
 * work table is `src/durable/timers.ts`, the outboxes `outbox.ts`). Every method is
 * synchronous, so writes made without an `await` in between commit atomically.
 */
import type { JobEvent } from "../contract/job-event";
import type { Job, JobEventType } from "./lifecycle";

/** One frame of the job's event log is the contract's `JobEvent`, exactly as watchers receive it. */
export type { JobEvent };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS job (
  k INTEGER PRIMARY KEY CHECK (k = 1),
  data TEXT NOT NULL,
  version INTEGER NOT NULL,
  indexed_version INTEGER NOT NULL DEFAULT 0,
  last_progress_event_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  at TEXT NOT NULL,
  frame TEXT NOT NULL
);
`;

export class JobStore {
  private cached: { job: Job; version: number; indexedVersion: number } | null | undefined;
  private forgottenProjectId: string | null = null;

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

  /** Retention is purging this object: from here on it has no job, whatever storage holds until its `deleteAll`. */
  forget(): void {
    this.forgottenProjectId = this.state()?.job.projectId ?? this.forgottenProjectId;
    this.cached = null;
  }

  /** The job's project, still known while a purge removes what the job left in D1 and R2. */
  projectId(): string | null {
    return this.job()?.projectId ?? this.forgottenProjectId;
  }

  /** Reads the job from storage again (a purge that failed before its `deleteAll`). */
  reload(): void {
    this.cached = undefined;
  }

  /** The job with its commit counter and the newest version known to be in D1. */
  state(): { job: Job; version: number; indexedVersion: number } | null {
    if (this.cached === undefined) {
      const row = this.sql
        .exec<{ data: string; version: number; indexed_version: number }>("SELECT data, version, indexed_version FROM job WHERE k = 1")
        .toArray()[0];
      this.cached = row ? { job: JSON.parse(row.data) as Job, version: row.version, indexedVersion: row.indexed_version } : null;
    }
    return this.cached;
  }

  /**
   * Commits a new state of the job and, when `event` is given, appends it to the log
   * with the next `seq`, in one atomic step: an event is logged exactly when its change is.
   */
  commit(job: Job, event: JobEventType | null): { frame: JobEvent | null; version: number } {
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
          job: {
            id: job.id,
            status: job.status,
            stage: job.stage,
            progress: job.progress,
            counters: job.counters,
            canonicalDocumentId: job.canonicalDocumentId,
          },
        };
        this.sql.exec("INSERT INTO events (seq, type, at, frame) VALUES (?, ?, ?, ?)", seq, event, frame.at, JSON.stringify(frame));
        if (event === "job.progress") {
          this.sql.exec("UPDATE job SET last_progress_event_at = ? WHERE k = 1", Date.parse(job.updatedAt));
        }
      }
    });
    this.cached = { job, version, indexedVersion: prev?.indexedVersion ?? 0 };
    return { frame, version };
  }

  /** When the last `job.progress` event was logged (epoch ms), for throttling. */
  lastProgressEventAt(): number {
    return this.sql.exec<{ t: number }>("SELECT last_progress_event_at AS t FROM job WHERE k = 1").toArray()[0]?.t ?? 0;
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
}
