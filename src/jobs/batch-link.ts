/**
 * A job's link to its batch (DESIGN §13): the batch learns of the job when it is created,
 * when it ends and when a retry makes it run again, at least once. The report is work on the job's alarm ("batch") until
 * the batch acknowledges it; the batch deduplicates by job id and terminal status.
 */
import type { Timers } from "../durable/timers";
import type { Env } from "../env";
import { isTerminal } from "../contract/status";
import { cancelJob, type Job, type Transition } from "./lifecycle";

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

/**
 * The batch's answer: `accepted: false` when the batch takes no more items (closed,
 * cancelled, full); `start: true` when the reporting job, held QUEUED, holds one of the
 * batch's slots and starts itself now (the batch counts it started; were this reply
 * lost, the job reports again and hears it again).
 */
export interface ItemReportReply {
  accepted: boolean;
  reason?: string;
  start?: boolean;
}

/** True when a commit from `before` to `after` is something the batch must hear about: its creation, an end, a retry. */
export function batchMustHear(before: Job | null, after: Job): boolean {
  if (!after.batchId) return false;
  if (before === null) return true;
  if (before.status === after.status) return false;
  return isTerminal(after.status) || isTerminal(before.status);
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

/** What the link needs of its job's object. */
export interface BatchLinkHost {
  env: Env;
  /** The job as committed now. */
  job(): Job | null;
  timers: Pick<Timers<"batch" | "slice" | "cleanup">, "schedule" | "unschedule" | "scheduled">;
  /** Commits a transition of the job (the object's own commit). */
  commit(t: Transition): void;
}

/**
 * The `batch` timer's work: reports the job's state until the batch acknowledges it. A
 * report runs after each commit the batch must hear of (`soon`) and from the timer when
 * that failed; reports run one at a time.
 */
export class BatchLink {
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(private readonly host: BatchLinkHost) {}

  /** After a commit from `before` to `after`: puts the report on the schedule when the batch must hear of it. */
  noteCommit(before: Job | null, after: Job): void {
    if (batchMustHear(before, after)) this.host.timers.schedule("batch", Date.now());
  }

  /** Reports now if a report is due; a failure is left to the `batch` timer. */
  async soon(): Promise<void> {
    if (!this.host.timers.scheduled("batch")) return;
    const reported = await this.pass().catch((err: unknown) => {
      console.warn(JSON.stringify({ msg: "batch report failed", jobId: this.host.job()?.id, error: String(err) }));
      return null;
    });
    // An end committed while the report was on its way stays due, and is reported next.
    if (reported !== null && this.host.job()?.status === reported) this.host.timers.unschedule("batch");
  }

  /** The `batch` timer: throws when the batch could not be reached, so the timer backs off. */
  async onTimer(): Promise<void> {
    await this.pass();
  }

  /** One report of the job as it is; returns the status reported (null: nothing to report). */
  private pass(): Promise<Job["status"] | null> {
    const pass = this.inFlight.then(
      () => this.report(),
      () => this.report(),
    );
    this.inFlight = pass.catch(() => undefined);
    return pass;
  }

  private async report(): Promise<Job["status"] | null> {
    const job = this.host.job();
    if (!job?.batchId) return null;
    const reply = await reportToBatch(this.host.env, job);
    const current = this.host.job();
    if (!reply.accepted && current?.status === "QUEUED") this.cancel(current, reply.reason ?? "The batch takes no more items");
    // Checked on the job as it is now: a cancel that landed while the report was on its way wins.
    else if (reply.start && current?.status === "QUEUED" && !this.host.timers.scheduled("slice")) this.host.timers.schedule("slice", Date.now());
    return job.status;
  }

  /** A job its batch refused ends CANCELLED before it ever starts. */
  private cancel(job: Job, reason: string): void {
    const cancelled = cancelJob(job, new Date());
    if (!cancelled.ok) return;
    this.host.commit({ ...cancelled, job: { ...cancelled.job, errorMessage: reason } });
    this.host.timers.unschedule("slice");
    this.host.timers.schedule("cleanup", Date.now());
  }
}
