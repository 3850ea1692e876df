/**
 * Logical timers over a Durable Object's one alarm, in the manner of cloudflare/agents'
 * scheduler: each kind of work registers a handler; the `work` table holds at most one
 * entry per kind with its due time and the failed runs so far; the alarm is always set
 * for the earliest entry.
 *
 * A handler is self-contained and idempotent (alarms are at-least-once, and an entry
 * may run again after a crash): it does its work and returns when it is next due, or
 * nothing when it is done. It never schedules or unschedules its own kind except by
 * returning; other code schedules kinds (a job's create schedules its first slice).
 * `Timers` alone catches what a handler throws, backs off (the entry's `attempts` is the
 * only retry count) and re-arms.
 */
import { backoffDelay, type Backoff } from "../backoff";
import { clampAlarmTime } from "./alarm-time";

/** What the registry needs of its object: its storage (SQL and the alarm) and a retry policy. */
export interface TimersHost {
  storage: Pick<DurableObjectStorage, "sql" | "getAlarm" | "setAlarm" | "deleteAlarm">;
  /** Backoff of a handler that throws, for kinds registered without their own. */
  backoff?: Backoff;
}

/** One due entry, as its handler sees it. */
export interface TimerRun<Kind extends string = string> {
  kind: Kind;
  /** When it was due (epoch ms). */
  due: number;
  /** Runs of this entry that threw since it last succeeded. */
  attempts: number;
}

/** Does the work; returns when it is next due (epoch ms), or nothing when done. */
export type TimerHandler<Kind extends string = string> = (run: TimerRun<Kind>) => Promise<number | undefined | void> | number | undefined | void;

export interface TimerOptions {
  /** How long to wait after a run that threw; the host's default otherwise. */
  backoff?: Backoff;
}

/** A scheduled entry. */
export interface ScheduledWork {
  due: number;
  attempts: number;
}

/** Retries of failed work back off from 500 ms to 30 s unless a kind says otherwise. */
export const DEFAULT_TIMER_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS work (
  kind TEXT PRIMARY KEY,
  due INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0
);
`;

/** What other code asked of a kind while its handler ran. */
interface DuringRun {
  requested: number | null;
  cancelled: boolean;
}

export class Timers<Kind extends string = string> {
  private readonly handlers = new Map<Kind, { handler: TimerHandler<Kind>; backoff: Backoff }>();
  private readonly running = new Map<Kind, DuringRun>();
  /**
   * The alarm time this object last set (null: deleted), while it is known to be
   * pending; undefined when unknown (a new instance, or the alarm has fired).
   */
  private armed: number | null | undefined = undefined;
  private armChecked = false;

  constructor(private readonly host: TimersHost) {
    host.storage.sql.exec(SCHEMA);
  }

  private get sql() {
    return this.host.storage.sql;
  }

  /** Registers the handler of `kind` (once per kind, in the object's constructor). */
  register(kind: Kind, handler: TimerHandler<Kind>, options: TimerOptions = {}): this {
    if (this.handlers.has(kind)) throw new Error(`Timer kind "${kind}" is registered twice`);
    this.handlers.set(kind, { handler, backoff: options.backoff ?? this.host.backoff ?? DEFAULT_TIMER_BACKOFF });
    return this;
  }

  /**
   * Puts `kind` on the schedule no later than `at` (an earlier entry stays; its failed
   * runs keep counting), clamped to what `setAlarm` accepts. Synchronous, so it commits
   * with the writes around it; call `arm()` once the caller's writes are done.
   */
  schedule(kind: Kind, at: number): void {
    const due = clampAlarmTime(at);
    const during = this.running.get(kind);
    if (during) during.requested = during.requested === null ? due : Math.min(during.requested, due);
    this.sql.exec("INSERT INTO work (kind, due, attempts) VALUES (?, ?, 0) ON CONFLICT (kind) DO UPDATE SET due = min(due, excluded.due)", kind, due);
  }

  /** Takes `kind` off the schedule (a run in progress is not stopped; what it returns is dropped). */
  unschedule(kind: Kind): void {
    const during = this.running.get(kind);
    if (during) {
      during.requested = null;
      during.cancelled = true;
    }
    this.sql.exec("DELETE FROM work WHERE kind = ?", kind);
  }

  scheduled(kind: Kind): ScheduledWork | null {
    return this.sql.exec<{ due: number; attempts: number }>("SELECT due, attempts FROM work WHERE kind = ?", kind).toArray()[0] ?? null;
  }

  /** The earliest due time of any entry, or null when nothing is scheduled. */
  nextDue(): number | null {
    return this.sql.exec<{ due: number | null }>("SELECT min(due) AS due FROM work").one().due ?? null;
  }

  /**
   * The alarm handler: runs every entry due by `now`, earliest first, one after the
   * other, then re-arms. A handler that throws is logged and retried after its backoff;
   * it never stops the other entries or the re-arm.
   */
  async run(now = Date.now()): Promise<void> {
    // The runtime clears the alarm that is firing unless it is set again.
    this.armed = undefined;
    try {
      const due = this.sql
        .exec<{ kind: string; due: number; attempts: number }>("SELECT kind, due, attempts FROM work WHERE due <= ? ORDER BY due, kind", now)
        .toArray();
      for (const entry of due) await this.runEntry({ ...entry, kind: entry.kind as Kind });
    } finally {
      await this.arm();
    }
  }

  private async runEntry(entry: TimerRun<Kind>): Promise<void> {
    const registered = this.handlers.get(entry.kind);
    if (!registered) {
      console.warn(JSON.stringify({ msg: "no handler for scheduled work; dropped", kind: entry.kind }));
      this.sql.exec("DELETE FROM work WHERE kind = ?", entry.kind);
      return;
    }
    const during: DuringRun = { requested: null, cancelled: false };
    this.running.set(entry.kind, during);
    let next: number | null;
    let attempts = 0;
    try {
      const returned = await registered.handler(entry);
      next = typeof returned === "number" ? returned : null;
    } catch (err) {
      console.error(JSON.stringify({ msg: "scheduled work failed", kind: entry.kind, attempts: entry.attempts, error: String(err).slice(0, 300) }));
      attempts = entry.attempts + 1;
      next = Date.now() + backoffDelay(registered.backoff, entry.attempts);
    } finally {
      this.running.delete(entry.kind);
    }
    if (during.cancelled) next = null;
    if (during.requested !== null) next = next === null ? during.requested : Math.min(next, during.requested);
    if (next === null) {
      this.sql.exec("DELETE FROM work WHERE kind = ?", entry.kind);
      return;
    }
    this.sql.exec(
      "INSERT INTO work (kind, due, attempts) VALUES (?, ?, ?) ON CONFLICT (kind) DO UPDATE SET due = excluded.due, attempts = excluded.attempts",
      entry.kind,
      clampAlarmTime(next),
      attempts,
    );
  }

  /**
   * Sets the alarm for the earliest entry, or deletes it when there is none. Skips the
   * call when the pending alarm already fires then, or, for work due now, no later than
   * now: each set is a storage write.
   */
  async arm(): Promise<void> {
    const next = this.nextDue();
    const now = Date.now();
    // `setAlarm(Date.now())` is dropped inside alarm() locally (workerd #6866): keep +1.
    const at = next === null ? null : clampAlarmTime(Math.max(next, now + 1));
    const armed = this.armed;
    if (armed === at || (next !== null && at !== null && next <= now && typeof armed === "number" && armed <= at)) return;
    this.armed = undefined;
    if (at === null) await this.host.storage.deleteAlarm();
    else await this.host.storage.setAlarm(at);
    this.armed = at;
  }

  /**
   * An object with scheduled work always has an alarm: checked once per instance (a
   * runtime that lost the alarm, or an instance that died between a write and its arm).
   */
  async ensureArmed(): Promise<void> {
    if (this.armChecked) return;
    this.armChecked = true;
    if (this.nextDue() !== null && (await this.host.storage.getAlarm()) === null) {
      this.armed = undefined;
      await this.arm();
    }
  }
}
