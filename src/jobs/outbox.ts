/**
 * The job's outboxes: what of its state has reached D1 and the project hub/queue.
 *
 * The index outbox decides when the job's D1 row must be written (DESIGN §8, a bounded number
 * of statements per job), and how many D1 statements the job has issued.
 *
 * A commit that changes the status, the stage or `deletedAt` makes the row *urgent*:
 * it is written at once (and retried from the alarm until D1 agrees). A commit that
 * only moves progress or counters waits until `indexProgressIntervalMs` has passed
 * since the last write; the alarm writes it then, unless an urgent write has carried
 * it first. So a job writes its row on create, on each status or stage change, and at
 * most once per interval for progress, whatever the document's size.
 */
import type { Job } from "./lifecycle";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS index_outbox (
  k INTEGER PRIMARY KEY CHECK (k = 1),
  urgent_version INTEGER NOT NULL DEFAULT 0,
  indexed_at INTEGER NOT NULL DEFAULT 0,
  d1_statements INTEGER NOT NULL DEFAULT 0,
  progress_writes INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO index_outbox (k) VALUES (1);
`;

/** What to do about the index row after a commit. */
export type IndexDecision = { kind: "none" } | { kind: "now" } | { kind: "at"; due: number };

export class IndexOutbox {
  constructor(private readonly storage: DurableObjectStorage) {
    storage.sql.exec(SCHEMA);
  }

  private row(): { urgent_version: number; indexed_at: number; d1_statements: number } {
    return this.storage.sql
      .exec<{ urgent_version: number; indexed_at: number; d1_statements: number }>(
        "SELECT urgent_version, indexed_at, d1_statements FROM index_outbox WHERE k = 1",
      )
      .one();
  }

  /** Records commit `version` (from `before` to `after`); status, stage and deletion are urgent. */
  noteCommit(before: Job | null, after: Job, version: number): void {
    const urgent =
      !before ||
      before.status !== after.status ||
      before.stage !== after.stage ||
      before.deletedAt !== after.deletedAt ||
      before.documentDeleted !== after.documentDeleted;
    if (urgent) this.storage.sql.exec("UPDATE index_outbox SET urgent_version = ? WHERE k = 1", version);
  }

  /** Whether the row at `version` (D1 holds `indexedVersion`) is written now, later, or not at all. */
  decide(version: number, indexedVersion: number, now: number, intervalMs: number): IndexDecision {
    if (indexedVersion >= version) return { kind: "none" };
    const row = this.row();
    if (row.urgent_version > indexedVersion) return { kind: "now" };
    const due = row.indexed_at + intervalMs;
    return due <= now ? { kind: "now" } : { kind: "at", due };
  }

  /** True if a status or stage change is not in D1 yet. */
  hasUrgent(indexedVersion: number): boolean {
    return this.row().urgent_version > indexedVersion;
  }

  /** A row write landed; `progressOnly` when it carried no status or stage change. */
  markIndexed(now: number, progressOnly: boolean): void {
    this.storage.sql.exec("UPDATE index_outbox SET indexed_at = ?, progress_writes = progress_writes + ? WHERE k = 1", now, progressOnly ? 1 : 0);
  }

  /** Counts D1 statements issued on the job's behalf (benchmarks and tests read it). */
  countStatements(n: number): void {
    this.storage.sql.exec("UPDATE index_outbox SET d1_statements = d1_statements + ? WHERE k = 1", n);
  }

  /** D1 statements so far, and how many of them were progress-only index writes. */
  d1Statements(): { total: number; progressWrites: number } {
    const row = this.storage.sql
      .exec<{ d1_statements: number; progress_writes: number }>("SELECT d1_statements, progress_writes FROM index_outbox WHERE k = 1")
      .one();
    return { total: row.d1_statements, progressWrites: row.progress_writes };
  }
}

const EVENT_SCHEMA = `
CREATE TABLE IF NOT EXISTS event_outbox (k INTEGER PRIMARY KEY CHECK (k = 1), forwarded_seq INTEGER NOT NULL);
INSERT OR IGNORE INTO event_outbox (k, forwarded_seq) VALUES (1, 0);
`;

/**
 * The event outbox: the last logged event handed to the project hub and the queue.
 * Events are forwarded in `seq` order; the pointer only moves forward.
 */
export class EventOutbox {
  constructor(private readonly storage: DurableObjectStorage) {
    storage.sql.exec(EVENT_SCHEMA);
  }

  forwardedSeq(): number {
    return this.storage.sql.exec<{ s: number }>("SELECT forwarded_seq AS s FROM event_outbox WHERE k = 1").one().s;
  }

  markForwarded(seq: number): void {
    this.storage.sql.exec("UPDATE event_outbox SET forwarded_seq = max(forwarded_seq, ?) WHERE k = 1", seq);
  }
}

/**
 * `db` with every statement it prepares counted (drizzle prepares each query it runs,
 * and a `batch` of n queries prepares n statements). Everything else passes through.
 */
export function meterD1(db: D1Database, count: (n: number) => void): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") {
        return (query: string) => {
          count(1);
          return target.prepare(query);
        };
      }
      if (prop === "exec") {
        return (query: string) => {
          count(1);
          return target.exec(query);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
