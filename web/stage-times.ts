/**
 * Time spent in each stage, read from a job's event log: the wait in the queue (from
 * `job.created` to `job.started`), then each stage from the first event that shows it to
 * the first event of the next stage, and the last one up to the terminal event (or, while
 * the job runs, up to now). A retried job counts each stage's passes together.
 */
import { isTerminal, type JobEvent, type JobStage } from "../src/client/types";

export interface StageTime {
  /** "QUEUED" for the wait before the job started, else the stage. */
  stage: "QUEUED" | JobStage;
  ms: number;
  /** Still under way: the time counts up to `nowMs`. */
  running: boolean;
}

export function stageTimes(events: readonly JobEvent[], nowMs = Date.now()): StageTime[] {
  const totals = new Map<StageTime["stage"], StageTime>();
  let current = null as { stage: StageTime["stage"]; since: number } | null;
  const close = (at: number) => {
    if (!current) return;
    const t = totals.get(current.stage) ?? { stage: current.stage, ms: 0, running: false };
    t.ms += Math.max(0, at - current.since);
    totals.set(current.stage, t);
  };
  for (const e of events) {
    const at = Date.parse(e.at);
    if (e.type === "job.deleted") continue;
    if (isTerminal(e.job.status)) {
      close(at);
      current = null;
      continue;
    }
    const stage: StageTime["stage"] = e.type === "job.created" || e.job.status === "QUEUED" ? "QUEUED" : e.job.stage;
    if (current?.stage === stage) continue;
    close(at);
    current = { stage, since: at };
  }
  if (current) {
    close(nowMs);
    totals.get(current.stage)!.running = true;
  }
  return [...totals.values()];
}
