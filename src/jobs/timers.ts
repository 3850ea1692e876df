/**
 * Logical timers over the object's one alarm (as cloudflare/agents' scheduler does):
 * the `work` table holds at most one entry per kind of work with its due time and the
 * failed tries so far; the alarm is always set for the earliest entry.
 */

import { clampAlarmTime } from "../durable/alarm-time";

/**
 * Kinds of work the alarm runs: an index write to retry or to catch up with progress,
 * a pipeline slice, a clean-up, events to forward to the project hub and queue,
 * watcher tokens to expire, the source of an upload whose job was never created, the
 * job's state to report to its batch.
 */
export type WorkKind = "index" | "slice" | "cleanup" | "forward" | "expiry" | "reservation" | "batch";

export interface Work {
  kind: WorkKind;
  due: number;
  attempts: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS work (
  kind TEXT PRIMARY KEY,
  due INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0
);
`;

type WorkRow = { kind: WorkKind; due: number; attempts: number };

/** Retries of failed work (an index write, a clean-up, a forwarding pass) back off from 500 ms to 30 s. */
export const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 30_000;

/** The wait before the next try of work that has failed `attempts` times. */
export function retryBackoff(attempts: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempts);
}

export class Timers {
  /**
   * The alarm time this object last set (null: deleted), while it is known to be
   * pending; undefined when unknown (a new instance, or the alarm has fired).
   */
  private armed: number | null | undefined = undefined;

  constructor(private readonly storage: DurableObjectStorage) {
    storage.sql.exec(SCHEMA);
  }

  private get sql() {
    return this.storage.sql;
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
    return this.sql.exec<WorkRow>("SELECT kind, due, attempts FROM work WHERE kind = ?", kind).toArray()[0] ?? null;
  }

  /** Work due at or before `horizon`, earliest first. */
  dueWork(horizon: number): Work[] {
    return this.sql.exec<WorkRow>("SELECT kind, due, attempts FROM work WHERE due <= ? ORDER BY due", horizon).toArray();
  }

  /** The earliest scheduled work other than `except`, due or not. */
  earliestWork(except: WorkKind): Work | null {
    return this.sql.exec<WorkRow>("SELECT kind, due, attempts FROM work WHERE kind != ? ORDER BY due LIMIT 1", except).toArray()[0] ?? null;
  }

  nextDue(): number | null {
    return this.sql.exec<{ due: number | null }>("SELECT min(due) AS due FROM work").toArray()[0]?.due ?? null;
  }

  /**
   * Sets the alarm for the earliest work, or deletes it when there is none. Skips the
   * call when the pending alarm already fires then, or, for work due now, no later than
   * now: each set is a storage write, and an alarm of slices arms twice (after its
   * slices, and on its way out).
   */
  async arm(): Promise<void> {
    const next = this.nextDue();
    const now = Date.now();
    // `setAlarm(Date.now())` is dropped inside alarm() locally (workerd #6866): keep +1.
    const at = next === null ? null : clampAlarmTime(Math.max(next, now + 1));
    const armed = this.armed;
    if (armed === at || (next !== null && at !== null && next <= now && typeof armed === "number" && armed <= at)) return;
    this.armed = undefined;
    if (at === null) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(at);
    this.armed = at;
  }

  /** The alarm is running: the runtime clears it unless it is set again, so forget it. */
  fired(): void {
    this.armed = undefined;
  }
}
