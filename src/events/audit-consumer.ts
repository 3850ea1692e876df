/**
 * Consumer of the `JOB_EVENTS` queue. The queue exists for other services (DESIGN §5);
 * this Worker's own consumer keeps nothing in D1 (DESIGN §8: no per-event D1 writes — a
 * job's event log lives in its Durable Object and is served from there). It writes one
 * structured log line per terminal event, so a job's outcome can be found in the logs
 * (Workers Logs / `wrangler tail`), and acknowledges the batch.
 */
import type { Env } from "../env";
import type { JobEvent } from "../contract/job-event";
import { TERMINAL_EVENT_TYPES } from "../contract/status";

const TERMINAL: ReadonlySet<JobEvent["type"]> = new Set(TERMINAL_EVENT_TYPES);

export async function consumeJobEvents(batch: MessageBatch<JobEvent>, _env: Env): Promise<void> {
  for (const { body: e } of batch.messages) {
    if (!TERMINAL.has(e.type)) continue;
    console.log(JSON.stringify({ msg: "job finished", type: e.type, jobId: e.jobId, projectId: e.projectId, seq: e.seq, at: e.at, status: e.job.status }));
  }
  batch.ackAll();
}
