/**
 * The hub's table of webhook deliveries: the work queue the hub's alarm drains (pending
 * rows by `next_attempt_at`) and the per-subscription delivery log the API lists. It
 * lives in the hub's SQLite, so a delivery waiting in backoff survives a restart.
 * Every method is synchronous: a caller's writes without an `await` between commit together.
 */
import type { Delivery as ListedDelivery, DeliveryStatus } from "../contract/webhook";
import { keysetPage, newestFirstSql, type KeysetPage, type PageKey } from "../db/keyset";
import type { DeliveryState } from "./retry-policy";

export type { DeliveryStatus };

/** One delivery as the API lists it (DESIGN §9), with the webhook it belongs to. */
export type Delivery = ListedDelivery & { webhookId: string };

/** A pending delivery ready to send. */
export interface DueDelivery {
  id: string;
  subscriptionId: string;
  eventType: string;
  payload: string;
  attempts: number;
  roundStart: number;
  eventAtMs: number;
}

export interface NewDelivery {
  id: string;
  subscriptionId: string;
  eventType: string;
  jobId: string | null;
  seq: number | null;
  payload: string;
  eventAtMs: number;
}

type Row = {
  id: string;
  subscription_id: string;
  event_type: string;
  job_id: string | null;
  seq: number | null;
  status: DeliveryStatus;
  attempts: number;
  last_response_status: number | null;
  last_error: string | null;
  next_attempt_at: number | null;
  created_at: number;
  /** The subscription's circuit: paused until then, when later than `next_attempt_at`. */
  open_until: number | null;
};

/** A log row with its subscription's circuit, so a paused delivery shows when it will be tried. */
const SELECT_ROWS = `SELECT d.id, d.subscription_id, d.event_type, d.job_id, d.seq, d.status, d.attempts, d.last_response_status,
  d.last_error, d.next_attempt_at, d.created_at, c.open_until FROM deliveries d LEFT JOIN circuits c ON c.subscription_id = d.subscription_id`;

/** Finished deliveries kept per subscription, and for how long (the log's bound). */
export const KEEP_PER_SUBSCRIPTION = 1000;
export const KEEP_FINISHED_MS = 7 * 24 * 3600 * 1000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY,
  subscription_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  job_id TEXT,
  seq INTEGER,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  round_start INTEGER NOT NULL DEFAULT 0,
  last_response_status INTEGER,
  last_error TEXT,
  next_attempt_at INTEGER,
  created_at INTEGER NOT NULL,
  event_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_due_by_subscription ON deliveries (subscription_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_by_subscription ON deliveries (subscription_id, created_at, id);
CREATE TABLE IF NOT EXISTS circuits (
  subscription_id TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  open_until INTEGER
);
`;

/**
 * The circuit breaker: after this many failed attempts in a row (any delivery), a
 * subscription's deliveries wait, so a receiver that hangs or fails stops taking the
 * project's lanes. More than one delivery's worth of tries (1 + 5 retries), so one bad
 * event alone never pauses a webhook.
 */
export const CIRCUIT_OPENS_AFTER = 10;
/** The first pause; each further failure while paused doubles it, up to `CIRCUIT_MAX_PAUSE_MS`. */
export const CIRCUIT_PAUSE_MS = 60_000;
export const CIRCUIT_MAX_PAUSE_MS = 3_600_000;

/** The pause after the `failures`-th failure in a row, or null while the circuit is closed. */
export function circuitPause(failures: number): number | null {
  if (failures < CIRCUIT_OPENS_AFTER) return null;
  return Math.min(CIRCUIT_MAX_PAUSE_MS, CIRCUIT_PAUSE_MS * 2 ** Math.min(20, failures - CIRCUIT_OPENS_AFTER));
}

/** Rows due by `now` (?1): pending, past their time, not in flight (?2), and their subscription's circuit not open. */
const DUE = `d.status = 'pending' AND d.next_attempt_at <= ?1 AND (c.open_until IS NULL OR c.open_until <= ?1)
  AND d.id NOT IN (SELECT value FROM json_each(?2))`;

export class DeliveryLog {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
  }

  /** Queues a delivery for its first try at `now`. */
  add(d: NewDelivery, now: number): void {
    this.sql.exec(
      `INSERT INTO deliveries (id, subscription_id, event_type, job_id, seq, payload, status, next_attempt_at, created_at, event_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
      d.id,
      d.subscriptionId,
      d.eventType,
      d.jobId,
      d.seq,
      d.payload,
      now,
      now,
      d.eventAtMs,
    );
  }

  /**
   * The oldest delivery of `subscriptionId` due by `now` that is not `inFlight` (ids of
   * attempts under way in this object, held in its memory only: when the object dies they
   * are due at once), unless the subscription's circuit is open. Found through the
   * subscription's own index range, so other subscriptions' backlogs cost it nothing.
   */
  takeDue(subscriptionId: string, now: number, inFlight: ReadonlySet<string>): DueDelivery | null {
    const r = this.sql
      .exec<{ id: string; subscription_id: string; event_type: string; payload: string; attempts: number; round_start: number; event_at: number }>(
        `SELECT d.id, d.subscription_id, d.event_type, d.payload, d.attempts, d.round_start, d.event_at
         FROM deliveries d LEFT JOIN circuits c ON c.subscription_id = d.subscription_id
         WHERE d.subscription_id = ?3 AND ${DUE} ORDER BY d.next_attempt_at LIMIT 1`,
        now,
        JSON.stringify([...inFlight]),
        subscriptionId,
      )
      .toArray()[0];
    return r
      ? {
          id: r.id,
          subscriptionId: r.subscription_id,
          eventType: r.event_type,
          payload: r.payload,
          attempts: r.attempts,
          roundStart: r.round_start,
          eventAtMs: r.event_at,
        }
      : null;
  }

  /** The subscriptions with deliveries `takeDue` could hand out by `now`, and how many each. */
  dueBySubscription(now: number, inFlight: ReadonlySet<string>): { subscriptionId: string; due: number }[] {
    return this.sql
      .exec<{ subscription_id: string; due: number }>(
        `SELECT d.subscription_id, count(*) AS due FROM deliveries d LEFT JOIN circuits c ON c.subscription_id = d.subscription_id
         WHERE ${DUE} GROUP BY d.subscription_id`,
        now,
        JSON.stringify([...inFlight]),
      )
      .toArray()
      .map((r) => ({ subscriptionId: r.subscription_id, due: r.due }));
  }

  /**
   * Feeds one attempt's result to the subscription's circuit: a success closes it, a
   * failure counts, and from `CIRCUIT_OPENS_AFTER` failures in a row pauses the
   * subscription (its deliveries keep their place and wait until `open_until`).
   */
  noteAttempt(subscriptionId: string, succeeded: boolean, now: number): void {
    if (succeeded) {
      this.sql.exec("DELETE FROM circuits WHERE subscription_id = ?", subscriptionId);
      return;
    }
    const failures =
      this.sql
        .exec<{ failures: number }>(
          `INSERT INTO circuits (subscription_id, failures) VALUES (?, 1)
           ON CONFLICT (subscription_id) DO UPDATE SET failures = failures + 1 RETURNING failures`,
          subscriptionId,
        )
        .toArray()[0]?.failures ?? 1;
    const pause = circuitPause(failures);
    if (pause !== null) this.sql.exec("UPDATE circuits SET open_until = ? WHERE subscription_id = ?", now + pause, subscriptionId);
  }

  /**
   * At most this many attempts of the subscription at once: one while its circuit has
   * tripped (a single probe after the pause), else `lanes`.
   */
  lanesFor(subscriptionId: string, lanes: number): number {
    const failures = this.sql.exec<{ failures: number }>("SELECT failures FROM circuits WHERE subscription_id = ?", subscriptionId).toArray()[0]?.failures ?? 0;
    return circuitPause(failures) === null ? lanes : 1;
  }

  /** Records one attempt's result; does nothing if the delivery is gone (subscription deleted meanwhile). */
  record(id: string, state: DeliveryState, responseStatus: number | null, error: string | null, now: number): void {
    this.sql.exec(
      `UPDATE deliveries SET status = ?, attempts = attempts + 1, last_response_status = ?, last_error = ?,
         next_attempt_at = ?, delivered_at = CASE WHEN ? = 'succeeded' THEN ? ELSE delivered_at END
       WHERE id = ?`,
      state.status,
      responseStatus,
      error,
      state.nextAttemptAt,
      state.status,
      now,
      id,
    );
  }

  /** Ends a delivery without an attempt (its subscription is gone or disabled). */
  abandon(id: string, reason: string): void {
    this.sql.exec("UPDATE deliveries SET status = 'failed', last_error = ?, next_attempt_at = NULL WHERE id = ?", reason, id);
  }

  /**
   * Starts a new round of tries at `now`; false when there is no such delivery. An
   * operator's redelivery also ends a pause: the next attempt is the circuit's probe.
   */
  redeliver(subscriptionId: string, id: string, now: number): boolean {
    const changed = this.sql.exec(
      "UPDATE deliveries SET status = 'pending', round_start = attempts, next_attempt_at = ? WHERE id = ? AND subscription_id = ?",
      now,
      id,
      subscriptionId,
    ).rowsWritten;
    if (changed > 0) this.sql.exec("UPDATE circuits SET open_until = ? WHERE subscription_id = ? AND open_until > ?", now, subscriptionId, now);
    return changed > 0;
  }

  /**
   * When the earliest pending delivery not `inFlight` may be sent (its time, or its
   * circuit's end), or null. Deliveries of the subscriptions in `waiting` are left out:
   * their lanes are all taken, and a lane takes its subscription's next delivery as soon
   * as it is free, so a backlog behind a hanging receiver never makes the alarm spin.
   */
  nextDue(inFlight: ReadonlySet<string> = new Set(), waiting: ReadonlySet<string> = new Set()): number | null {
    return this.sql
      .exec<{ t: number | null }>(
        `SELECT min(max(d.next_attempt_at, coalesce(c.open_until, 0))) AS t FROM deliveries d LEFT JOIN circuits c ON c.subscription_id = d.subscription_id
         WHERE d.status = 'pending' AND d.id NOT IN (SELECT value FROM json_each(?)) AND d.subscription_id NOT IN (SELECT value FROM json_each(?))`,
        JSON.stringify([...inFlight]),
        JSON.stringify([...waiting]),
      )
      .one().t;
  }

  get(subscriptionId: string, id: string): Delivery | null {
    const row = this.sql.exec<Row>(`${SELECT_ROWS} WHERE d.id = ? AND d.subscription_id = ?`, id, subscriptionId).toArray()[0];
    return row ? toDelivery(row) : null;
  }

  /** One page of a subscription's log, newest first (`db/keyset.ts`). */
  list(subscriptionId: string, after: PageKey | null, limit: number): KeysetPage<Delivery> {
    const page = newestFirstSql(after);
    // The keyset's unqualified created_at and id are the deliveries' (circuits has neither).
    const rows = this.sql
      .exec<Row>(`${SELECT_ROWS} WHERE d.subscription_id = ? ${page.where} ${page.orderBy} LIMIT ?`, subscriptionId, ...page.params, limit + 1)
      .toArray();
    const total = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM deliveries WHERE subscription_id = ?", subscriptionId).one().n;
    const listed = keysetPage(rows, limit, total, (r) => ({ createdAt: r.created_at, id: r.id }));
    return { ...listed, items: listed.items.map(toDelivery) };
  }

  /** Forgets every delivery of a deleted subscription. */
  dropSubscription(subscriptionId: string): void {
    this.sql.exec("DELETE FROM deliveries WHERE subscription_id = ?", subscriptionId);
    this.sql.exec("DELETE FROM circuits WHERE subscription_id = ?", subscriptionId);
  }

  /**
   * Bounds the log: finished deliveries older than `KEEP_FINISHED_MS`, and beyond the newest
   * `KEEP_PER_SUBSCRIPTION` of each subscription, are dropped. Pending ones are never dropped.
   */
  prune(now: number): void {
    this.sql.exec("DELETE FROM deliveries WHERE status != 'pending' AND created_at < ?", now - KEEP_FINISHED_MS);
    const crowded = this.sql
      .exec<{ subscription_id: string }>("SELECT subscription_id FROM deliveries GROUP BY subscription_id HAVING count(*) > ?", KEEP_PER_SUBSCRIPTION)
      .toArray();
    for (const { subscription_id: sid } of crowded) {
      const edge = this.sql
        .exec<{ created_at: number; id: string }>(
          "SELECT created_at, id FROM deliveries WHERE subscription_id = ? ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?",
          sid,
          KEEP_PER_SUBSCRIPTION - 1,
        )
        .toArray()[0];
      if (!edge) continue;
      this.sql.exec("DELETE FROM deliveries WHERE subscription_id = ? AND status != 'pending' AND (created_at, id) < (?, ?)", sid, edge.created_at, edge.id);
    }
  }
}

function toDelivery(r: Row): Delivery {
  return {
    id: r.id,
    webhookId: r.subscription_id,
    eventType: r.event_type,
    jobId: r.job_id,
    seq: r.seq,
    status: r.status,
    attempts: r.attempts,
    lastResponseStatus: r.last_response_status,
    lastError: r.last_error,
    nextAttemptAt: r.status === "pending" && r.next_attempt_at !== null ? new Date(Math.max(r.next_attempt_at, r.open_until ?? 0)).toISOString() : null,
    createdAt: new Date(r.created_at).toISOString(),
  };
}
