/**
 * What a batch's object does when its project hub nudges it (the hub has heard no event
 * from the batch for `STALL_AFTER_MS`; src/events/batch-stall-watch.ts). A batch moves on
 * its own alarm and on its items' reports, so it can stop for two reasons: its alarm was
 * lost with work due (a dispatch, a fetch backstop, a harvest page), or an item's end
 * never reached it (its job ended, but the report was lost with the job's alarm). The
 * nudge mends both: it asks each running item's job where it is and records the ends it
 * missed, and it re-arms a lost alarm. A batch whose items are running in their jobs is
 * waiting, not stalled (each job is watched on its own). After `STAGE_MAX_ATTEMPTS`
 * nudges that did not make it log anything, the batch fails `STALLED` (see `stallBatch`).
 */
import type { Timers } from "../durable/timers";
import type { Env } from "../env";
import { isActive } from "../contract/status";
import { givesUp, type Nudge, type NudgeOutcome } from "../jobs/stall";
import type { Access } from "../jobs/job-access";
import type { BatchStore } from "./batch-store";
import type { BatchWorkKind } from "./ingest-batch";
import { type BatchRecord, type BatchTransition, isBatchTerminal, itemEndOf, stallBatch } from "./lifecycle";

/** Running items whose jobs one nudge asks about; a longer list is worked through nudge after nudge. */
const ITEMS_ASKED = 50;

export interface BatchNudgeHost {
  env: Env;
  store: BatchStore;
  timers: Pick<Timers<BatchWorkKind>, "nextDue" | "restoreAlarm" | "schedule" | "arm">;
  maxAttempts: number;
  concurrency: number;
  access: (b: BatchRecord) => Access;
  commit: (t: BatchTransition) => void;
  /** An item ended: the outcome once nothing is left, progress otherwise. */
  itemEnded: () => void;
  settle: () => Promise<void>;
}

/** See the module's comment. */
export async function nudgeBatch(host: BatchNudgeHost, nudge: Nudge): Promise<NudgeOutcome> {
  const { store, timers } = host;
  const batch = store.batch();
  if (!batch || batch.deletedAt || isBatchTerminal(batch.status)) return "ended";

  const { ended, jobsRunning } = await recordMissedEnds(host, batch);
  if (ended > 0) {
    await host.settle();
    return rearmed(batch, nudge, `${ended} item ends it had missed`);
  }
  const restored = await timers.restoreAlarm();
  const scheduled = timers.nextDue() !== null;
  const counts = store.counts();
  const idle = counts.queued === 0 && !store.hasPendingStarts() && !scheduled;
  // Items running in their jobs, or an open batch with nothing to do until its client adds more: no fault of the batch's.
  if (jobsRunning || (batch.open && idle)) return "waiting";
  if (givesUp(nudge, host.maxAttempts)) {
    stall(host, batch, nudge);
    await host.settle();
    await timers.restoreAlarm();
    return "stalled";
  }
  if (restored) return rearmed(batch, nudge, "its alarm");
  if (scheduled) return "armed";
  if (counts.queued > 0 && counts.running < host.concurrency) {
    timers.schedule("dispatch", Date.now());
    await timers.arm();
    return rearmed(batch, nudge, "its dispatch");
  }
  host.itemEnded();
  await host.settle();
  return rearmed(batch, nudge, "its outcome");
}

/**
 * Asks the jobs of running items (started ones: their job exists and was let start)
 * where they are, and records each end the batch never heard of.
 */
async function recordMissedEnds(host: BatchNudgeHost, batch: BatchRecord): Promise<{ ended: number; jobsRunning: boolean }> {
  const running = host.store
    .unfinished("RUNNING")
    .filter((i) => i.hasJob && i.pending === null)
    .slice(0, ITEMS_ASKED);
  let ended = 0;
  let jobsRunning = false;
  const replies = await Promise.all(
    running.map((item) =>
      host.env.INGEST_JOB.get(host.env.INGEST_JOB.idFromName(item.id))
        .get(host.access(batch))
        .catch(() => null),
    ),
  );
  const at = new Date().toISOString();
  running.forEach((item, i) => {
    const reply = replies[i];
    if (!reply?.ok) return;
    const job = reply.job;
    const end = itemEndOf(job.status);
    if (!end) {
      if (isActive(job.status)) jobsRunning = true;
      return;
    }
    const last = job.errors.at(-1);
    const error =
      end === "FAILED"
        ? { at: last?.at ?? at, stage: job.stage, code: last?.code ?? "FAILED", message: job.errorMessage ?? last?.message ?? "The job failed", item: item.id }
        : null;
    if (host.store.endItem(item.id, end, error, { status: job.status, stage: job.stage, progress: job.progress }, at)) ended++;
  });
  if (ended > 0) host.itemEnded();
  return { ended, jobsRunning };
}

/**
 * The batch cannot move: it fails `STALLED`. Its queued items never start (CANCELLED, and
 * their held jobs are cancelled); items whose start never finished end FAILED `STALLED`.
 */
function stall(host: BatchNudgeHost, batch: BatchRecord, nudge: Nudge): void {
  const minutes = Math.max(1, Math.round(nudge.silentMs / 60_000));
  const message = `The batch stopped moving: no progress for ${minutes} min, and ${nudge.previous} attempts to resume it did not help. Its queued items were cancelled; create a new batch for them.`;
  const now = new Date();
  const at = now.toISOString();
  for (const item of host.store.unfinished("QUEUED")) host.store.endItem(item.id, "CANCELLED", null, item.job, at);
  for (const item of host.store.unfinished("RUNNING")) {
    host.store.endItem(
      item.id,
      "FAILED",
      { at, stage: "PENDING", code: "STALLED", message: "The item's start never finished: the batch stopped moving", item: item.hasJob ? item.id : item.ref },
      item.job,
      at,
    );
  }
  const failed = stallBatch(batch, message, now);
  if (failed) host.commit(failed);
  host.timers.schedule("cancel", Date.now());
}

/** Logged: a re-armed batch is a lost alarm (or a lost report) an operator may want to count. */
function rearmed(batch: BatchRecord, nudge: Nudge, what: string): NudgeOutcome {
  console.warn(
    JSON.stringify({ msg: "batch re-armed by its project hub", batchId: batch.id, projectId: batch.projectId, mended: what, silentMs: nudge.silentMs }),
  );
  return "rearmed";
}
