/**
 * The hub's watch over its project's active batches, beside the one over jobs
 * (stall-watch.ts), on the same `stalls` timer. The hub hears every event a batch logs
 * (`publishBatch`); a batch that has logged nothing for `STALL_AFTER_MS` while active is
 * nudged: one RPC that makes it record item ends it missed, re-arm a lost alarm, or fail
 * `STALLED` once nudges stop helping (src/batches/batch-nudge.ts). Bounded: at most
 * `CHECK_PAGE` batches per alarm.
 */
import type { Nudge, NudgeOutcome } from "../jobs/stall";
import { CHECK_PAGE, nudgeEach } from "./stall-watch";

/** Reaches a batch's object. */
export type NudgeBatch = (batchId: string, nudge: Nudge) => Promise<NudgeOutcome>;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS active_batches (
  batch_id TEXT PRIMARY KEY,
  heard_at INTEGER NOT NULL,
  nudges INTEGER NOT NULL DEFAULT 0,
  checked_at INTEGER NOT NULL DEFAULT 0
);
`;

type Silent = { batch_id: string; heard_at: number; nudges: number };

export class BatchStallWatch {
  constructor(
    private readonly sql: SqlStorage,
    private readonly stallAfterMs: () => number,
  ) {
    sql.exec(SCHEMA);
  }

  /** The batch logged an event: watched (nudges from zero) while active, forgotten once ended. */
  heardFrom(batchId: string, active: boolean, now: number): void {
    if (!active) {
      this.sql.exec("DELETE FROM active_batches WHERE batch_id = ?", batchId);
      return;
    }
    this.sql.exec(
      `INSERT INTO active_batches (batch_id, heard_at) VALUES (?, ?)
       ON CONFLICT (batch_id) DO UPDATE SET heard_at = excluded.heard_at, nudges = 0, checked_at = 0`,
      batchId,
      now,
    );
  }

  watching(): boolean {
    return this.sql.exec("SELECT 1 FROM active_batches LIMIT 1").toArray().length > 0;
  }

  /** Nudges a page of the batches silent (and not nudged) for `STALL_AFTER_MS`; when to look again. */
  async check(now: number, nudge: NudgeBatch): Promise<number | undefined> {
    const quietSince = now - this.stallAfterMs();
    const silent = this.sql
      .exec<Silent>(
        "SELECT batch_id, heard_at, nudges FROM active_batches WHERE heard_at <= ? AND checked_at <= ? ORDER BY heard_at LIMIT ?",
        quietSince,
        quietSince,
        CHECK_PAGE,
      )
      .toArray();
    const outcomes = await nudgeEach(silent, (b) => b.batch_id, nudge, now, "batch");
    silent.forEach((b, i) => this.record(b, outcomes[i] ?? null, now));
    if (silent.length === CHECK_PAGE) return now;
    const next = this.sql.exec<{ at: number | null }>("SELECT min(max(heard_at, checked_at)) AS at FROM active_batches").one().at;
    return next === null ? undefined : next + this.stallAfterMs();
  }

  private record(b: Silent, outcome: NudgeOutcome | null, now: number): void {
    // Ended (or gone): no longer watched. Stalled: its `batch.failed` event has already taken it off.
    if (outcome === "ended" || outcome === "stalled") {
      this.sql.exec("DELETE FROM active_batches WHERE batch_id = ?", b.batch_id);
      return;
    }
    const nudges = outcome === "waiting" ? 0 : outcome === null ? b.nudges : b.nudges + 1;
    // Only while nothing was heard from it during the nudge (an event starts its count again).
    this.sql.exec("UPDATE active_batches SET nudges = ?, checked_at = ? WHERE batch_id = ? AND heard_at = ?", nudges, now, b.batch_id, b.heard_at);
  }
}
