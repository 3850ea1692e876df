/**
 * The Worker as the workerd tests run it (vitest.config.ts's `main`): the service's own
 * entry, except that a job's work never runs by itself. Its alarm is held an hour ahead,
 * and each alarm a test runs (`step`, `drive` or `runDurableObjectAlarm`) runs the job's
 * earliest pending work whenever it is due, one pipeline slice at a time; watcher expiry
 * keeps its real time. A project hub's clock can be moved ahead (`clockAheadMs`), so a
 * test sees its stall watch act without waiting. A shard's retention purger runs only when a
 * test runs its alarm, with its clock as far ahead as the test says (`clockAheadMs`), so a
 * test sees jobs a month old. Production code has no knob for any of this.
 */
import { IngestJob as ServiceIngestJob, ProjectHub as ServiceProjectHub, RetentionPurger as ServiceRetentionPurger } from "../src/capacity/traced-objects";
import type { Env } from "../src/env";
import { ALARM_SLICE_LIMITS, type SliceLimits } from "../src/jobs/slice-loop";

export { ArxivGate, default, IngestBatch, RateLimiter } from "../src/index";

/** How far ahead a job's alarm is held: longer than any test runs. */
const HOLD_MS = 3_600_000;

export class IngestJob extends ServiceIngestJob {
  constructor(ctx: DurableObjectState, env: Env) {
    super(holdAlarms(ctx), env);
  }

  protected override sliceLimits(): SliceLimits {
    return { ...ALARM_SLICE_LIMITS, slices: 1 };
  }

  override async fetch(request: Request): Promise<Response> {
    const response = await super.fetch(request);
    // A watcher's expiry keeps its real time: the held alarm is brought forward to it
    // (the registry skips setting an alarm it believes already fires sooner).
    if (expiryDue(this.ctx.storage) !== Number.POSITIVE_INFINITY) await this.ctx.storage.setAlarm(Date.now());
    return response;
  }

  override async alarm(): Promise<void> {
    // An alarm the runtime fired for a watcher's expiry runs only that; one a test runs
    // makes the earliest other work due now (anything really due runs too).
    if (expiryDue(this.ctx.storage) > Date.now()) {
      this.ctx.storage.sql.exec(
        "UPDATE work SET due = min(due, ?) WHERE kind = (SELECT kind FROM work WHERE kind != 'expiry' ORDER BY due, kind LIMIT 1)",
        Date.now(),
      );
    }
    return super.alarm();
  }
}

export class ProjectHub extends ServiceProjectHub {
  /** How far ahead of real time this hub's alarm and stall watch see the clock. */
  clockAheadMs = 0;

  protected override now(): number {
    return Date.now() + this.clockAheadMs;
  }
}

export class RetentionPurger extends ServiceRetentionPurger {
  /** How far ahead of real time this purger sees the clock. */
  clockAheadMs = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    const storage = ctx.storage;
    const setAlarm = storage.setAlarm.bind(storage);
    storage.setAlarm = (at: number | Date, options?: DurableObjectSetAlarmOptions) => setAlarm(Math.max(Number(at), Date.now() + HOLD_MS), options);
    super(ctx, env);
  }

  protected override now(): number {
    return Date.now() + this.clockAheadMs;
  }
}

/** When the job's watcher expiry is due (infinity when none is scheduled). */
function expiryDue(storage: DurableObjectStorage): number {
  return storage.sql.exec<{ due: number | null }>("SELECT min(due) AS due FROM work WHERE kind = 'expiry'").one().due ?? Number.POSITIVE_INFINITY;
}

/**
 * `ctx`, its storage now setting every alarm at least `HOLD_MS` ahead, except that a
 * watcher's expiry keeps its real time (the runtime needs the real `ctx`).
 */
function holdAlarms(ctx: DurableObjectState): DurableObjectState {
  const storage = ctx.storage;
  const setAlarm = storage.setAlarm.bind(storage);
  storage.setAlarm = (at: number | Date, options?: DurableObjectSetAlarmOptions) =>
    setAlarm(Math.min(expiryDue(storage), Math.max(Number(at), Date.now() + HOLD_MS)), options);
  return ctx;
}
