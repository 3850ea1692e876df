/**
 * A job's link to its batch (DESIGN §13): the batch learns of the job when it is created
 * and when it ends, at least once. The report is work on the job's alarm ("batch") until
 * the batch acknowledges it; the batch deduplicates by job id and terminal status.
 */
import type { Env } from "../env";
import { type Job, isTerminal } from "./lifecycle";

/** What a job tells its batch: its state now, and its last error. */
export interface ItemReport {
  jobId: string;
  projectId: string;
  batchId: string;
  status: Job["status"];
  stage: Job["stage"];
  progress: number;
  sourcePath: string;
  error: { at: string; stage: string; code: string; message: string } | null;
}

/** The batch's answer: `accepted: false` when the batch takes no more items (closed, cancelled, full). */
export interface ItemReportReply {
  accepted: boolean;
  reason?: string;
}

/** True when a commit from `before` to `after` is something the batch must hear about. */
export function batchMustHear(before: Job | null, after: Job): boolean {
  if (!after.batchId) return false;
  if (before === null) return true;
  return isTerminal(after.status) && before.status !== after.status;
}

export function itemReport(job: Job): ItemReport {
  const last = job.errors[job.errors.length - 1];
  const error =
    job.status === "FAILED"
      ? { at: last?.at ?? job.updatedAt, stage: job.stage, code: last?.code ?? "FAILED", message: job.errorMessage ?? last?.message ?? "The job failed" }
      : null;
  return {
    jobId: job.id,
    projectId: job.projectId,
    batchId: job.batchId!,
    status: job.status,
    stage: job.stage,
    progress: job.progress,
    sourcePath: job.sourcePath,
    error,
  };
}

/** Sends the job's report to its batch's object; throws when the batch cannot be reached. */
export function reportToBatch(env: Env, job: Job): Promise<ItemReportReply> {
  const stub = env.INGEST_BATCH.get(env.INGEST_BATCH.idFromName(job.batchId!));
  return stub.itemReport(itemReport(job));
}
