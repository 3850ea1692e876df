/**
 * IngestJob: one Durable Object per job (`idFromName(jobId)`), the job's single source
 * of truth. A thin shell around the pure lifecycle: it loads the job, calls a lifecycle
 * function, commits the result and its event atomically, then brings the D1 index row
 * and the watchers up to date. One alarm is multiplexed over a table of due work.
 */
import { DurableObject } from "cloudflare:workers";
import { authorize, type Action, type Principal } from "../auth/policy";
import { loadConfig } from "../config";
import type { Env } from "../env";
import { newerBookmark, projectDb, sessionDatabase } from "../db/shards";
import { upsertJobRow } from "./job-index";
import { JobStore, type JobEvent, type WorkKind } from "./job-store";
import {
  advanceStage,
  cancelJob,
  completeJob,
  createJob,
  deleteJob,
  failJob,
  isActive,
  recordAttemptFailure,
  recordProgress,
  startJob,
  type Job,
  type JobInit,
  type JobStatus,
  type Refusal,
  type Transition,
} from "./lifecycle";
import { PipelineRunner } from "./slice-runner";
import { JobWatchers } from "../events/job-watchers";
import { ACCESS_HEADER, CLOSE_NORMAL, echoClose } from "../events/sockets";
import { forbidden, notFound, renderProblem } from "../http/problem";

/** Who is asking, and through which project (absent on routes addressed by job id alone). */
export interface Access {
  principal: Principal;
  projectId?: string;
}

/**
 * `bookmark`: the D1 bookmark of this object's latest index write, so the caller's next
 * read through a replica sees the row this command wrote (DESIGN §12, src/http/bookmark.ts).
 */
export type JobReply =
  | { ok: true; job: Job; bookmark?: string | null }
  | { ok: false; reason: "not_found" | "forbidden" }
  | { ok: false; reason: "not_cancellable" | "not_deletable"; status: JobStatus };

/** Index retries back off from 500 ms to 30 s; the alarm retries until D1 agrees. */
const INDEX_RETRY_BASE_MS = 500;
const INDEX_RETRY_MAX_MS = 30_000;
/** Slice retries back off exponentially from 1 s (DESIGN §1, STAGE_MAX_ATTEMPTS tries). */
const SLICE_RETRY_BASE_MS = 1_000;
/** Wall time an alarm keeps running consecutive slices (Date.now() advances on I/O only). */
const ALARM_SLICE_BUDGET_MS = 250;
/** `job.progress` is logged at most this often (DESIGN §5: a few per second). */
const PROGRESS_EVENT_INTERVAL_MS = 500;

export class IngestJob extends DurableObject<Env> {
  private readonly store: JobStore;
  private readonly runner: PipelineRunner;
  private readonly watchers: JobWatchers;
  private alarmChecked = false;
  /** The forwarding pass in flight (see `forwardEvents`). */
  private forwarding: Promise<void> = Promise.resolve();
  /** D1 bookmark of the latest index write from this instance (null until one succeeds). */
  private indexBookmark: string | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new JobStore(ctx.storage);
    this.runner = new PipelineRunner(ctx.storage, env);
    this.watchers = new JobWatchers(ctx, env, this.store);
  }

  private get config() {
    return loadConfig(this.env);
  }

  /** Creates the job once; a repeated call returns the job it created. */
  async create(init: JobInit): Promise<{ job: Job; bookmark: string | null }> {
    const existing = this.store.job();
    if (existing) return { job: existing, bookmark: this.indexBookmark };
    this.commit(createJob(init, new Date()));
    this.store.schedule("slice", this.after(0));
    await this.settle();
    return { job: this.store.job()!, bookmark: this.indexBookmark };
  }

  /** The job, if `access` may read it. */
  async get(access: Access): Promise<JobReply> {
    const checked = this.check(access, "read");
    if (checked.ok) await this.ensureArmed();
    return checked;
  }

  /** QUEUED | RUNNING → CANCELLED; the pipeline alarm is dropped before this returns. */
  async cancel(access: Access): Promise<JobReply> {
    const checked = this.check(access, "cancel");
    if (!checked.ok) return checked;
    const result = cancelJob(checked.job, new Date());
    if (!result.ok) return refusal(result);
    // No await between the check and this commit: a slice that resumes later sees CANCELLED.
    this.commit(result);
    this.store.unschedule("slice");
    this.store.schedule("cleanup", this.after(0));
    await this.settle();
    return { ok: true, job: result.job, bookmark: this.indexBookmark };
  }

  /** Soft delete of a finished job. */
  async remove(access: Access): Promise<JobReply> {
    const checked = this.check(access, "delete");
    if (!checked.ok) return checked;
    const result = deleteJob(checked.job, new Date());
    if (!result.ok) return refusal(result);
    this.commit(result);
    this.store.schedule("cleanup", this.after(0));
    await this.settle();
    this.watchers.closeAll(CLOSE_NORMAL, "Job deleted");
    return { ok: true, job: result.job, bookmark: this.indexBookmark };
  }

  /** The stored event log after `after`, if `access` may read the job. */
  async events(
    access: Access,
    after: number,
  ): Promise<{ ok: true; events: JobEvent[]; lastSeq: number } | { ok: false; reason: "not_found" | "forbidden" }> {
    const checked = this.check(access, "read");
    if (!checked.ok) return checked;
    return { ok: true, events: this.store.events(after), lastSeq: this.store.lastSeq() };
  }

  /**
   * WebSocket upgrades. The Worker has verified the token and forwards the caller in
   * `X-Watch-Access`; the object applies the same read rule as `get` before accepting.
   */
  override async fetch(request: Request): Promise<Response> {
    const access = JSON.parse(request.headers.get(ACCESS_HEADER) ?? "null") as Access | null;
    const checked = access ? this.check(access, "read") : ({ ok: false, reason: "forbidden" } as const);
    if (!checked.ok) {
      return renderProblem(checked.reason === "forbidden" ? forbidden() : notFound("Ingest job not found"));
    }
    const { response, expiresAt } = this.watchers.accept(request);
    const scheduled = this.store.scheduled("expiry");
    if (!scheduled || expiresAt < scheduled.due) {
      this.store.schedule("expiry", expiresAt);
      await this.arm();
    }
    return response;
  }

  override async webSocketMessage(): Promise<void> {
    // Watchers only listen; "ping" is answered by the runtime's auto-response.
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    echoClose(ws, code, reason);
  }

  /**
   * Runs every piece of work that is due, then re-arms. An alarm that fires with nothing
   * due (tests fire alarms early on purpose, with `runDurableObjectAlarm`) runs the
   * earliest pipeline work instead; watcher expiry always waits for the real time.
   */
  override async alarm(): Promise<void> {
    let due = this.store.dueWork(Date.now());
    if (due.length === 0) {
      const next = this.store.earliestWork("expiry");
      if (next) due = [next];
    }
    for (const work of due) {
      await this.runWork(work.kind, work.attempts);
    }
    await this.arm();
  }

  private async runWork(kind: WorkKind, attempts: number): Promise<void> {
    switch (kind) {
      case "index":
        return this.flushIndex(attempts);
      case "cleanup":
        return this.cleanUp(attempts);
      case "slice":
        return this.runSlices(attempts);
      case "forward":
        return this.forwardEvents(attempts);
      case "expiry": {
        const next = this.watchers.expire();
        if (next === null) this.store.unschedule("expiry");
        else this.store.schedule("expiry", next);
        return;
      }
    }
  }

  /**
   * Runs up to `SLICES_PER_ALARM` slices back to back (each checkpointed on its own), for
   * at most `ALARM_SLICE_BUDGET_MS`, then brings the index and watchers up to date once.
   * Several slices per alarm spare the per-alarm round trips without making any one
   * slice bigger.
   */
  private async runSlices(failedTries: number): Promise<void> {
    const deadline = Date.now() + ALARM_SLICE_BUDGET_MS;
    for (let n = 0; n < this.config.slicesPerAlarm; n++) {
      if (!(await this.runSlice(n === 0 ? failedTries : 0)) || Date.now() >= deadline) break;
      // If the slice sent frames, let the runtime flush them (they wait for the thread).
      // Otherwise keep going: slices with no I/O between them then share one storage
      // commit (yielding after every slice cost a third of the chunking stage's speed).
      if (this.watchers.takeSent()) await scheduler.wait(0);
    }
    await this.settle();
  }

  /**
   * One bounded slice of pipeline work (see `PipelineRunner`); true if the next is due
   * now. `failedTries` counts the failed tries of this same slice so far.
   */
  private async runSlice(failedTries: number): Promise<boolean> {
    let job = this.store.job();
    if (!job || !isActive(job.status)) {
      this.store.unschedule("slice");
      return false;
    }
    if (job.status === "QUEUED") {
      this.commit(startJob(job, new Date())!);
      job = this.store.job()!;
    }
    const outcome = await this.runner.runSlice(job);
    const now = new Date();
    const current = this.store.job()!;
    if (current.status !== "RUNNING") {
      // Cancelled while the slice awaited: nothing of it is committed.
      this.store.unschedule("slice");
      return false;
    }
    switch (outcome.kind) {
      case "progress":
        outcome.persist();
        this.commitProgress(recordProgress(current, outcome.fraction, outcome.counters, now)!);
        this.store.schedule("slice", this.after(0));
        return true;
      case "stage-done": {
        outcome.persist();
        const progressed = recordProgress(current, 1, outcome.counters, now)!;
        this.commit(progressed);
        this.commit(advanceStage(progressed.job, now)!);
        this.store.schedule("slice", this.after(0));
        return true;
      }
      case "completed":
        outcome.persist();
        this.commit(recordProgress(current, 1, outcome.counters, now)!);
        this.commit(completeJob(this.store.job()!, outcome.documentId, now)!);
        this.store.unschedule("slice");
        this.store.schedule("cleanup", this.after(0));
        return false;
      case "failed": {
        const error = { code: outcome.code, message: outcome.message };
        const tries = failedTries + 1;
        if (outcome.permanent || tries >= this.config.stageMaxAttempts) {
          this.commit(failJob(current, error, now)!);
          this.store.unschedule("slice");
          this.store.schedule("cleanup", this.after(0));
        } else {
          this.commit({ job: recordAttemptFailure(current, error, now), event: "job.progress" }, false);
          this.store.schedule("slice", this.after(SLICE_RETRY_BASE_MS * 2 ** (tries - 1)), tries);
        }
        return false;
      }
    }
  }

  /** Removes what an unfinished or deleted job left outside this object. */
  private async cleanUp(attempts: number): Promise<void> {
    const job = this.store.job();
    if (!job) return this.store.unschedule("cleanup");
    try {
      await this.runner.cleanUp(job);
      this.store.unschedule("cleanup");
    } catch (err) {
      console.warn(JSON.stringify({ msg: "cleanup failed", jobId: job.id, error: String(err) }));
      this.store.schedule("cleanup", Date.now() + backoff(attempts), attempts + 1);
    }
  }

  /**
   * Writes the job's D1 row at the current version. On failure the write is put on the
   * alarm's schedule with backoff, so the index always converges to the object.
   */
  private async flushIndex(attempts = 0): Promise<void> {
    const state = this.store.state();
    if (!state || state.indexedVersion >= state.version) {
      this.store.unschedule("index");
      return;
    }
    try {
      // In a session, so the write's bookmark can go back to the caller.
      const session = projectDb(this.env, state.job.projectId).withSession("first-primary");
      await upsertJobRow(sessionDatabase(session), state.job, state.version);
      this.indexBookmark = newerBookmark(this.indexBookmark, session.getBookmark());
      this.store.markIndexed(state.version);
      const latest = this.store.state()!;
      if (latest.indexedVersion >= latest.version) this.store.unschedule("index");
    } catch (err) {
      console.warn(JSON.stringify({ msg: "index write failed", jobId: state.job.id, attempts, error: String(err).slice(0, 200) }));
      this.store.schedule("index", this.after(backoff(attempts)), attempts + 1);
    }
  }

  /** After a commit: the index row and the hub/queue catch up, and the alarm is set. */
  private async settle(): Promise<void> {
    await Promise.all([this.flushIndex(), this.forwardEvents(0)]);
    await this.arm();
  }

  /** Forwards logged events to the project hub and queue; on failure, retries from the alarm. */
  private forwardEvents(attempts: number): Promise<void> {
    // One forwarding pass at a time, in order; a commit starts one without waiting for it.
    this.forwarding = this.forwarding
      .then(async () => {
        if (await this.watchers.forward()) this.store.unschedule("forward");
        else this.store.schedule("forward", this.after(backoff(attempts)), attempts + 1);
      })
      .catch((err) => console.error(JSON.stringify({ msg: "event forwarding failed", error: String(err) })));
    return this.forwarding;
  }

  /** Commits a transition and its event, then hands the event to the watchers. */
  private commit(t: Transition, log = true): void {
    const frame = this.store.commit(t.job, log ? t.event : null);
    if (!frame) return;
    this.watchers.publish(frame);
    // The hub and queue get it now, not when the alarm ends (settle() awaits the pass).
    void this.forwardEvents(0);
  }

  /** Progress is committed every slice but logged at most every 250 ms. */
  private commitProgress(t: Transition): void {
    const due = Date.parse(t.job.updatedAt) - this.store.lastProgressEventAt() >= PROGRESS_EVENT_INTERVAL_MS;
    this.commit(t, due);
  }

  /** Sets the alarm for the earliest due work, or deletes it when nothing is due. */
  private async arm(): Promise<void> {
    const next = this.store.nextDue();
    if (next === null) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    // `setAlarm(Date.now())` is dropped inside alarm() locally (workerd #6866): keep +1.
    await this.ctx.storage.setAlarm(Math.max(next, Date.now() + 1));
  }

  /** A job with work to do always has an alarm: re-arm once per wake-up if it was lost. */
  private async ensureArmed(): Promise<void> {
    if (this.alarmChecked) return;
    this.alarmChecked = true;
    if (this.store.nextDue() !== null && (await this.ctx.storage.getAlarm()) === null) await this.arm();
  }

  /** `delayMs` from now, but never earlier than the configured floor (tests step alarms). */
  private after(delayMs: number): number {
    return Date.now() + Math.max(delayMs, this.config.alarmDelayMs);
  }

  /** Applies the role table and project scoping; anything the caller may not see is not found. */
  private check(access: Access, action: Action): { ok: true; job: Job } | { ok: false; reason: "not_found" | "forbidden" } {
    const job = this.store.job();
    if (!job || job.deletedAt) return { ok: false, reason: "not_found" };
    if (access.projectId !== undefined && access.projectId !== job.projectId) return { ok: false, reason: "not_found" };
    const decision = authorize(access.principal, action, { projectId: job.projectId, createdBy: job.createdBy });
    if (decision === "hidden") return { ok: false, reason: "not_found" };
    if (decision === "forbidden") return { ok: false, reason: "forbidden" };
    return { ok: true, job };
  }
}

/** A refused command as a reply; a job deleted meanwhile is simply not found. */
function refusal(r: Refusal): JobReply {
  return r.reason === "already_deleted" ? { ok: false, reason: "not_found" } : r;
}

function backoff(attempts: number): number {
  return Math.min(INDEX_RETRY_MAX_MS, INDEX_RETRY_BASE_MS * 2 ** attempts);
}
