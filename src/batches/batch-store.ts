/**
 * The IngestBatch object's own SQLite storage: the batch, its items, its event log and
 * its outbox pointers. Counts are never stored: they are read from the items' states, so
 * they add up by construction and cannot drift. Every method is synchronous, so writes
 * made without an `await` in between commit atomically.
 */
import { type BatchCounts, type BatchError, type BatchEventType, type BatchRecord, countsFrom, type ItemEnd, type ItemState, ITEM_STATES } from "./lifecycle";

/** One frame of the batch's event log, as watchers, the project stream and webhooks receive it. */
export interface BatchEvent {
  type: BatchEventType;
  seq: number;
  batchId: string;
  projectId: string;
  at: string;
  batch: { id: string; kind: string; status: string; counts: BatchCounts };
}

/** What starting an item still needs (see `item-starts.ts`). */
export type PendingStart = "admit" | "fetch" | "retry" | "download";

/** One item as the batch keeps it. */
export interface BatchItemRow {
  id: string;
  ordinal: number;
  /** The source reference: file name, URL or arXiv id. */
  ref: string;
  state: ItemState;
  /** Whether a job exists for the item (a URL that could not be fetched has none). */
  hasJob: boolean;
  /** What starting the item still needs: `admit` (tell its job to start) or `fetch` (a URL). */
  pending: PendingStart | null;
  host: string | null;
  error: BatchError | null;
  /** Times a batch retry re-ran the item (its id and job stay the same). */
  retries: number;
  /** The job as last reported by its object: `{status, stage, progress}`. */
  job: { status: string; stage: string; progress: number } | null;
  updatedAt: string;
}

type ItemSql = {
  id: string;
  ordinal: number;
  ref: string;
  state: ItemState;
  has_job: number;
  pending: string | null;
  host: string | null;
  error: string | null;
  retries: number;
  job: string | null;
  updated_at: string;
};

/**
 * The items' counts by state, kept by triggers in the statement that changes an item's
 * state, whoever runs it: `counts()` reads six rows instead of every item (it is read after
 * every report, and a batch holds up to MAX_BATCH_ITEMS items).
 */
const COUNT_TRIGGERS = `
CREATE TRIGGER IF NOT EXISTS items_counted_insert AFTER INSERT ON items BEGIN
  UPDATE item_counts SET n = n + 1 WHERE state = NEW.state;
END;
CREATE TRIGGER IF NOT EXISTS items_counted_delete AFTER DELETE ON items BEGIN
  UPDATE item_counts SET n = n - 1 WHERE state = OLD.state;
END;
CREATE TRIGGER IF NOT EXISTS items_counted_update AFTER UPDATE OF state ON items WHEN OLD.state IS NOT NEW.state BEGIN
  UPDATE item_counts SET n = n - 1 WHERE state = OLD.state;
  UPDATE item_counts SET n = n + 1 WHERE state = NEW.state;
END;
`;

/** The most item errors a batch's own JSON lists (the items route lists every one). */
export const BATCH_ERRORS_SHOWN = 100;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS batch (
  k INTEGER PRIMARY KEY CHECK (k = 1),
  data TEXT NOT NULL,
  version INTEGER NOT NULL,
  last_progress_event_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items (
  id TEXT PRIMARY KEY,
  ordinal INTEGER NOT NULL UNIQUE,
  ref TEXT NOT NULL,
  state TEXT NOT NULL,
  has_job INTEGER NOT NULL,
  pending TEXT,
  host TEXT,
  -- the item's last failure; listed in the batch's errors only while it is FAILED
  error TEXT,
  retries INTEGER NOT NULL DEFAULT 0,
  job TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_by_state ON items (state, ordinal);
CREATE INDEX IF NOT EXISTS items_pending ON items (pending) WHERE pending IS NOT NULL;
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  frame TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  k INTEGER PRIMARY KEY CHECK (k = 1),
  forwarded_seq INTEGER NOT NULL DEFAULT 0,
  indexed_status TEXT,
  counts_written TEXT,
  indexed_at INTEGER NOT NULL DEFAULT 0,
  d1_statements INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO outbox (k) VALUES (1);
`;

export class BatchStore {
  private cached: { batch: BatchRecord; version: number } | null | undefined;

  constructor(private readonly storage: DurableObjectStorage) {
    storage.sql.exec(SCHEMA);
    // An items table made before `retries` existed gains it (a batch object outlives deploys).
    const columns = storage.sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('items')").toArray();
    if (!columns.some((c) => c.name === "retries")) storage.sql.exec("ALTER TABLE items ADD COLUMN retries INTEGER NOT NULL DEFAULT 0");
    // Counted from the items once (a new batch, or one made before the counts were kept),
    // in the same block as the triggers that keep them from then on.
    storage.transactionSync(() => {
      storage.sql.exec("CREATE TABLE IF NOT EXISTS item_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL)");
      if (storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM item_counts").one().n === 0) {
        for (const state of ITEM_STATES)
          storage.sql.exec("INSERT INTO item_counts (state, n) VALUES (?, (SELECT count(*) FROM items WHERE state = ?))", state, state);
      }
      storage.sql.exec(COUNT_TRIGGERS);
    });
  }

  private get sql() {
    return this.storage.sql;
  }

  batch(): BatchRecord | null {
    return this.state()?.batch ?? null;
  }

  /** Retention is purging this object: from here on it has no batch, whatever storage holds until its `deleteAll`. */
  forget(): void {
    this.cached = null;
  }

  /** Reads the batch from storage again (a purge that failed before its `deleteAll`). */
  reload(): void {
    this.cached = undefined;
  }

  state(): { batch: BatchRecord; version: number } | null {
    if (this.cached === undefined) {
      const row = this.sql.exec<{ data: string; version: number }>("SELECT data, version FROM batch WHERE k = 1").toArray()[0];
      this.cached = row ? { batch: JSON.parse(row.data) as BatchRecord, version: row.version } : null;
    }
    return this.cached;
  }

  /** Counts of the items by state. */
  counts(): BatchCounts {
    const rows = this.sql.exec<{ state: ItemState; n: number }>("SELECT state, n FROM item_counts").toArray();
    return countsFrom(Object.fromEntries(rows.map((r) => [r.state, r.n])));
  }

  /** The errors of the first failed items, oldest first. */
  errors(limit = BATCH_ERRORS_SHOWN): BatchError[] {
    return this.sql
      .exec<{ error: string }>("SELECT error FROM items WHERE state = 'FAILED' AND error IS NOT NULL ORDER BY ordinal LIMIT ?", limit)
      .toArray()
      .map((r) => JSON.parse(r.error) as BatchError);
  }

  /**
   * Commits the batch and, when `event` is given, appends it with the next `seq` and the
   * counts as they are now, in one atomic step.
   */
  commit(batch: BatchRecord, event: BatchEventType | null): { frame: BatchEvent | null; version: number } {
    const version = (this.state()?.version ?? 0) + 1;
    let frame: BatchEvent | null = null;
    this.storage.transactionSync(() => {
      this.sql.exec(
        "INSERT INTO batch (k, data, version) VALUES (1, ?, ?) ON CONFLICT (k) DO UPDATE SET data = excluded.data, version = excluded.version",
        JSON.stringify(batch),
        version,
      );
      if (event) frame = this.appendEvent(batch, event);
    });
    this.cached = { batch, version };
    return { frame, version };
  }

  /** Logs an event about the batch as it stands (progress), without changing it. */
  logEvent(event: BatchEventType, now: number): BatchEvent | null {
    const batch = this.batch();
    if (!batch) return null;
    let frame: BatchEvent | null = null;
    this.storage.transactionSync(() => {
      frame = this.appendEvent({ ...batch, updatedAt: new Date(now).toISOString() }, event);
      if (event === "batch.progress") this.sql.exec("UPDATE batch SET last_progress_event_at = ? WHERE k = 1", now);
    });
    return frame;
  }

  private appendEvent(batch: BatchRecord, type: BatchEventType): BatchEvent {
    const seq = this.lastSeq() + 1;
    const frame: BatchEvent = {
      type,
      seq,
      batchId: batch.id,
      projectId: batch.projectId,
      at: batch.updatedAt,
      batch: { id: batch.id, kind: batch.kind, status: batch.status, counts: this.counts() },
    };
    this.sql.exec("INSERT INTO events (seq, type, frame) VALUES (?, ?, ?)", seq, type, JSON.stringify(frame));
    return frame;
  }

  lastProgressEventAt(): number {
    return this.sql.exec<{ t: number }>("SELECT last_progress_event_at AS t FROM batch WHERE k = 1").toArray()[0]?.t ?? 0;
  }

  lastSeq(): number {
    return this.sql.exec<{ seq: number | null }>("SELECT max(seq) AS seq FROM events").one().seq ?? 0;
  }

  events(after: number, limit = 1000): BatchEvent[] {
    return this.sql
      .exec<{ frame: string }>("SELECT frame FROM events WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
      .toArray()
      .map((r) => JSON.parse(r.frame) as BatchEvent);
  }

  // --- items ---------------------------------------------------------------------------

  itemCount(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM items").one().n;
  }

  item(id: string): BatchItemRow | null {
    const row = this.sql.exec<ItemSql>("SELECT * FROM items WHERE id = ?", id).toArray()[0];
    return row ? toItem(row) : null;
  }

  /** Adds an item (once: adding a known id changes nothing); true if it was new. */
  addItem(
    item: {
      id: string;
      ref: string;
      state: ItemState;
      hasJob: boolean;
      pending?: PendingStart | null;
      host?: string | null;
      error?: BatchError | null;
    },
    at: string,
  ): boolean {
    const ordinal = this.sql.exec<{ n: number | null }>("SELECT max(ordinal) AS n FROM items").one().n ?? 0;
    const cursor = this.sql.exec(
      `INSERT INTO items (id, ordinal, ref, state, has_job, pending, host, error, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      item.id,
      ordinal + 1,
      item.ref,
      item.state,
      item.hasJob ? 1 : 0,
      item.pending ?? null,
      item.host ?? null,
      item.error ? JSON.stringify(item.error) : null,
      at,
    );
    return cursor.rowsWritten > 0;
  }

  /** The next queued items in order, at most `limit`. */
  queued(limit: number): BatchItemRow[] {
    return this.sql.exec<ItemSql>("SELECT * FROM items WHERE state = 'QUEUED' ORDER BY ordinal LIMIT ?", limit).toArray().map(toItem);
  }

  /** Whether any item's start is not finished. */
  hasPendingStarts(): boolean {
    return this.sql.exec("SELECT 1 FROM items WHERE pending IS NOT NULL AND state = 'RUNNING' LIMIT 1").toArray().length > 0;
  }

  /** Items whose start is not finished: a job to admit, a URL to fetch. */
  pendingStarts(): BatchItemRow[] {
    return this.sql.exec<ItemSql>("SELECT * FROM items WHERE pending IS NOT NULL AND state = 'RUNNING' ORDER BY ordinal").toArray().map(toItem);
  }

  /** Unfinished items (QUEUED or RUNNING), in order. */
  unfinished(state: "QUEUED" | "RUNNING"): BatchItemRow[] {
    return this.sql.exec<ItemSql>("SELECT * FROM items WHERE state = ? ORDER BY ordinal", state).toArray().map(toItem);
  }

  /** Failed items, in order. */
  failedItems(): BatchItemRow[] {
    return this.sql.exec<ItemSql>("SELECT * FROM items WHERE state = 'FAILED' ORDER BY ordinal").toArray().map(toItem);
  }

  /** QUEUED → RUNNING with what its start still needs. */
  markStarting(id: string, pending: PendingStart, at: string): boolean {
    return this.sql.exec("UPDATE items SET state = 'RUNNING', pending = ?, updated_at = ? WHERE id = ? AND state = 'QUEUED'", pending, at, id).rowsWritten > 0;
  }

  /** The item's start is done (its job was told to start, or was created from its URL). */
  markStarted(id: string, hasJob: boolean): void {
    this.sql.exec("UPDATE items SET pending = NULL, has_job = max(has_job, ?) WHERE id = ?", hasJob ? 1 : 0, id);
  }

  /**
   * Records an item's end, once per (item, end): a repeated report changes nothing and
   * returns false. An end different from the recorded one (a job retried in place) moves it.
   */
  endItem(id: string, end: ItemEnd, error: BatchError | null, job: BatchItemRow["job"], at: string): boolean {
    return (
      this.sql.exec(
        "UPDATE items SET state = ?, pending = NULL, error = ?, job = coalesce(?, job), updated_at = ? WHERE id = ? AND state != ?",
        end,
        error ? JSON.stringify(error) : null,
        job ? JSON.stringify(job) : null,
        at,
        id,
        end,
      ).rowsWritten > 0
    );
  }

  /** Keeps the job's last reported summary for the items listing. */
  noteJob(id: string, job: NonNullable<BatchItemRow["job"]>): void {
    this.sql.exec("UPDATE items SET job = ? WHERE id = ?", JSON.stringify(job), id);
  }

  /** FAILED → QUEUED for a batch retry: the same item (and job) starts again when a slot is free. */
  requeue(id: string, at: string): boolean {
    return (
      this.sql.exec("UPDATE items SET state = 'QUEUED', pending = NULL, retries = retries + 1, updated_at = ? WHERE id = ? AND state = 'FAILED'", at, id)
        .rowsWritten > 0
    );
  }

  /** FAILED → RUNNING: the item's job was retried on its own (`POST /jobs/{id}/retry`) and runs again. */
  restart(id: string, job: NonNullable<BatchItemRow["job"]>, at: string): boolean {
    return (
      this.sql.exec(
        "UPDATE items SET state = 'RUNNING', pending = NULL, job = ?, updated_at = ? WHERE id = ? AND state = 'FAILED'",
        JSON.stringify(job),
        at,
        id,
      ).rowsWritten > 0
    );
  }

  /** Fetches in flight per host (items RUNNING with a fetch pending). */
  fetchesByHost(): Map<string, number> {
    const rows = this.sql
      .exec<{ host: string; n: number }>("SELECT host, count(*) AS n FROM items WHERE pending = 'fetch' AND state = 'RUNNING' GROUP BY host")
      .toArray();
    return new Map(rows.map((r) => [r.host, r.n]));
  }

  /** A page of items in order after `afterOrdinal`, optionally of one state. */
  itemsPage(afterOrdinal: number, limit: number, state?: ItemState): BatchItemRow[] {
    const rows = state
      ? this.sql.exec<ItemSql>("SELECT * FROM items WHERE ordinal > ? AND state = ? ORDER BY ordinal LIMIT ?", afterOrdinal, state, limit)
      : this.sql.exec<ItemSql>("SELECT * FROM items WHERE ordinal > ? ORDER BY ordinal LIMIT ?", afterOrdinal, limit);
    return rows.toArray().map(toItem);
  }

  // --- outbox ----------------------------------------------------------------------------

  outbox(): { forwardedSeq: number; indexedStatus: string | null; countsWritten: string | null; indexedAt: number; d1Statements: number } {
    const r = this.sql
      .exec<{ forwarded_seq: number; indexed_status: string | null; counts_written: string | null; indexed_at: number; d1_statements: number }>(
        "SELECT forwarded_seq, indexed_status, counts_written, indexed_at, d1_statements FROM outbox WHERE k = 1",
      )
      .one();
    return {
      forwardedSeq: r.forwarded_seq,
      indexedStatus: r.indexed_status,
      countsWritten: r.counts_written,
      indexedAt: r.indexed_at,
      d1Statements: r.d1_statements,
    };
  }

  markForwarded(seq: number): void {
    this.sql.exec("UPDATE outbox SET forwarded_seq = max(forwarded_seq, ?) WHERE k = 1", seq);
  }

  /** The D1 row now holds this status and these counts. */
  /** The D1 row now holds this status and these counts. */
  markIndexed(status: string, counts: string, now: number): void {
    this.sql.exec("UPDATE outbox SET indexed_status = ?, counts_written = ?, indexed_at = ? WHERE k = 1", status, counts, now);
  }

  countStatements(n: number): void {
    this.sql.exec("UPDATE outbox SET d1_statements = d1_statements + ? WHERE k = 1", n);
  }
}

function toItem(r: ItemSql): BatchItemRow {
  return {
    id: r.id,
    ordinal: r.ordinal,
    ref: r.ref,
    state: r.state,
    hasJob: r.has_job === 1,
    pending: r.pending as BatchItemRow["pending"],
    host: r.host,
    error: r.error ? (JSON.parse(r.error) as BatchError) : null,
    retries: r.retries,
    job: r.job ? (JSON.parse(r.job) as BatchItemRow["job"]) : null,
    updatedAt: r.updated_at,
  };
}
