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
import { batchMustHear, reportToBatch } from "./batch-link";
import { EventOutbox, IndexOutbox } from "./outbox";
import { IndexWriter } from "./index-writer";
import { JobStore, type JobEvent } from "./job-store";
import { RETRY_BASE_MS, retryBackoff, Timers, type Work, type WorkKind } from "./timers";
import { ReservationStore, type ReservedSource } from "./reservation";
import { cancelJob, createJob, deleteJob, startJob, type Job, type JobInit, type JobStatus, type Refusal, type Transition } from "./lifecycle";
import { progressEventInterval, sliceStep } from "./slice-driver";
import { PipelineRunner } from "./slice-runner";
import { AlarmWorkBudget } from "../pipeline/limits";
import { JobWatchers } from "../events/job-watchers";
import { ACCESS_HEADER, CLOSE_NORMAL, echoClose, meterClientFrame } from "../events/sockets";
import { forbidden, notFound, renderProblem } from "../http/problem";

/** Who is asking, and through which project (absent on routes addressed by job id alone). */
export interface Access {
  principal: Principal;
  projectId?: string;
}

/**
 * `bookmark` (cancel, remove): the D1 bookmark of this object's latest index write, so the
 * caller's next read through a replica sees the row the command wrote (DESIGN §12,
 * src/http/bookmark.ts). `create` replies before its index write (issue 12), so it has none.
 */
export type JobReply =
  | { ok: true; job: Job /** The job's commit counter (`get` only): its `ETag`. */; version?: number; bookmark?: string | null }
  | { ok: false; reason: "not_found" | "forbidden" }
  | { ok: false; reason: "not_cancellable" | "not_deletable"; status: JobStatus };

/** Slice retries back off exponentially from 1 s (DESIGN §1, STAGE_MAX_ATTEMPTS tries). */
const SLICE_RETRY_BASE_MS = 1_000;
/** Wall time an alarm keeps running consecutive slices (Date.now() advances on I/O only). */
const ALARM_SLICE_BUDGET_MS = 250;
export class IngestJob extends DurableObject<Env> {
  private readonly store: JobStore;
  private readonly runner: PipelineRunner;
  private readonly watchers: JobWatchers;
  private readonly index: IndexWriter;
  private readonly timers: Timers;
  private readonly reservation: ReservationStore;
  /**
   * Set, with no await after the check that no job exists, when this object starts
   * deleting its reserved source: a `create` that arrives while R2 answers is refused
   * instead of making a job whose source is going away.
   */
  private abandoned = false;
  private alarmChecked = false;
  /** The forwarding pass in flight (see `forwardEvents`). */
  private forwarding: Promise<void> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new JobStore(ctx.storage);
    this.timers = new Timers(ctx.storage);
    this.index = new IndexWriter(env, this.store, new IndexOutbox(ctx.storage), this.timers, {
      after: (delayMs) => this.after(delayMs),
      progressIntervalMs: () => this.config.indexProgressIntervalMs,
    });
    this.reservation = new ReservationStore(ctx.storage);
    this.runner = new PipelineRunner(ctx.storage, env, () => this.index.d1());
    this.watchers = new JobWatchers(ctx, env, this.store, new EventOutbox(ctx.storage));
  }

  private get config() {
    return loadConfig(this.env);
  }

  /**
   * Called by the create route before its upload's last byte reaches R2 (in parallel
   * with the upload): until `create`, this object owns `sourceKey(source)`, and deletes
   * it `SOURCE_RESERVATION_MS` from now if no job exists by then (the create died in between).
   */
  async reserve(source: ReservedSource): Promise<void> {
    if (this.store.job()) return;
    this.reservation.save(source);
    this.timers.schedule("reservation", this.after(this.config.sourceReservationMs));
    await this.arm();
  }

  /** The route will not create the job (its upload was refused, or it failed): the source goes now. */
  async release(): Promise<void> {
    await this.expireReservation();
    await this.arm();
  }

  /**
   * Creates the job once; a repeated call returns the job it created. `held`: an item of a
   * batch waits QUEUED until its batch lets it start (`admit`).
   */
  async create(init: JobInit, opts: { held?: boolean } = {}): Promise<Job> {
    const existing = this.store.job();
    if (existing) return existing;
    if (this.abandoned) throw new Error(`The reservation of job ${init.id} expired: its upload was deleted`);
    const created = createJob(init, new Date());
    // In the same synchronous block as the job's commit: the reservation's clean-up
    // either ran before (and set `abandoned`) or will find the job and keep the source.
    this.reservation.clear();
    this.timers.unschedule("reservation");
    this.commit(created);
    if (!opts.held) this.timers.schedule("slice", this.after(0));
    // The D1 row and the hub catch up just after the reply, not before it (issue 12): the
    // index work is on the alarm's schedule first, so if this pass is lost the alarm
    // writes the row, and the index still converges. It is due strictly after the first
    // slice, so an alarm fired early (tests step them) runs the slice, as before.
    this.timers.schedule("index", this.after(RETRY_BASE_MS) + 1);
    await this.arm();
    void this.settle().catch((err) => console.error(JSON.stringify({ msg: "settle after create failed", jobId: init.id, error: String(err) })));
    return this.store.job() ?? created.job;
  }

  /** The job's batch lets it start: a held QUEUED job gets its first slice. Idempotent; null before `create`. */
  async admit(): Promise<JobStatus | null> {
    const job = this.store.job();
    if (!job) return null;
    if (job.status === "QUEUED" && !this.timers.scheduled("slice")) {
      this.timers.schedule("slice", this.after(0));
      await this.arm();
    }
    return job.status;
  }

  /** The job and its version, if `access` may read it. */
  async get(access: Access): Promise<JobReply> {
    const checked = this.check(access, "read");
    if (!checked.ok) return checked;
    await this.ensureArmed();
    return { ...checked, version: this.store.state()?.version };
  }

  /** QUEUED | RUNNING → CANCELLED; the pipeline alarm is dropped before this returns. */
  async cancel(access: Access): Promise<JobReply> {
    const checked = this.check(access, "cancel");
    if (!checked.ok) return checked;
    const result = cancelJob(checked.job, new Date());
    if (!result.ok) return refusal(result);
    // No await between the check and this commit: a slice that resumes later sees CANCELLED.
    this.commit(result);
    this.timers.unschedule("slice");
    this.timers.schedule("cleanup", this.after(0));
    await this.settle();
    return { ok: true, job: result.job, bookmark: this.index.bookmark };
  }

  /** Soft delete of a finished job. */
  async remove(access: Access): Promise<JobReply> {
    const checked = this.check(access, "delete");
    if (!checked.ok) return checked;
    const result = deleteJob(checked.job, new Date());
    if (!result.ok) return refusal(result);
    this.commit(result);
    this.timers.schedule("cleanup", this.after(0));
    await this.settle();
    this.watchers.closeAll(CLOSE_NORMAL, "Job deleted");
    return { ok: true, job: result.job, bookmark: this.index.bookmark };
  }

  /** The stored event log after `after`, if `access` may read the job. */
  async events(access: Access, after: number): Promise<{ ok: true; events: JobEvent[]; lastSeq: number } | { ok: false; reason: "not_found" | "forbidden" }> {
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
    const scheduled = this.timers.scheduled("expiry");
    if (!scheduled || expiresAt < scheduled.due) {
      this.timers.schedule("expiry", expiresAt);
      await this.arm();
    }
    return response;
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    meterClientFrame(ws, message);
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
    this.timers.fired();
    let due = this.timers.dueWork(Date.now());
    if (due.length === 0) {
      const next = this.timers.earliestWork("expiry");
      if (next) due = [next];
    }
    try {
      for (const work of due) await this.runWorkSafely(work);
    } finally {
      await this.arm();
    }
  }

  /**
   * One work item; an unexpected error is logged and the item retried with backoff, so
   * it never stops the other items or the re-arm.
   */
  private async runWorkSafely(work: Work): Promise<void> {
    try {
      await this.runWork(work.kind, work.attempts);
    } catch (err) {
      console.error(JSON.stringify({ msg: "alarm work failed", kind: work.kind, attempts: work.attempts, error: String(err).slice(0, 300) }));
      this.timers.schedule(work.kind, Date.now() + retryBackoff(work.attempts), work.attempts + 1);
    }
  }

  private async runWork(kind: WorkKind, attempts: number): Promise<void> {
    switch (kind) {
      case "index":
        return this.index.flush(attempts, true);
      case "cleanup":
        return this.cleanUp(attempts);
      case "reservation":
        return this.expireReservation();
      case "slice":
        return this.runSlices(attempts);
      case "forward":
        return this.forwardEvents(attempts);
      case "batch":
        return this.reportToBatch(attempts);
      case "expiry": {
        const next = this.watchers.expire();
        if (next === null) this.timers.unschedule("expiry");
        else this.timers.schedule("expiry", next);
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
    const work = new AlarmWorkBudget(this.config.limits.sliceDecodedBytes);
    for (let n = 0; n < this.config.slicesPerAlarm; n++) {
      const more = await this.runSlice(n === 0 ? failedTries : 0);
      // Each status or stage change gets its own index write, however many share an
      // alarm, so a job's D1 statements do not depend on how its slices fall.
      await this.index.flushUrgent();
      // Date.now() stands still during pure CPU in workerd: the bytes the slices parsed bound the alarm too.
      if (!more || Date.now() >= deadline || !work.allowsAnother(this.runner.takeWorkBytes())) break;
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
    const queued = this.store.job();
    if (queued?.status === "QUEUED") {
      const started = startJob(queued, new Date());
      if (started.ok) this.commit(started);
      await this.index.flushUrgent();
    }
    const job = this.store.job();
    if (!job || job.status !== "RUNNING") {
      this.timers.unschedule("slice");
      return false;
    }
    const outcome = await this.runner.runSlice(job);
    // Re-read after the await: a cancel may have been committed meanwhile.
    const current = this.store.job();
    const step = current
      ? sliceStep(current, outcome, new Date(), failedTries, this.store.lastProgressEventAt(), {
          maxAttempts: this.config.stageMaxAttempts,
          retryBaseMs: SLICE_RETRY_BASE_MS,
          progressEventIntervalMs: progressEventInterval(this.watchers.count()),
        })
      : null;
    if (!step?.ok) {
      // Cancelled while the slice awaited: nothing of it is committed, and what it
      // started outside the object (an upload) is undone; the clean-up removes the rest.
      this.timers.unschedule("slice");
      if (outcome.kind !== "failed" && outcome.kind !== "completed") await outcome.discard?.().catch(() => undefined);
      return false;
    }
    // One synchronous block: the slice's rows, the job, its events, the next work.
    step.persist?.();
    for (const c of step.commits) this.commit(c.transition, c.log);
    if (step.next.kind === "cleanup") {
      this.timers.unschedule("slice");
      this.timers.schedule("cleanup", this.after(0));
    } else {
      this.timers.schedule("slice", this.after(step.next.delayMs), step.next.tries);
    }
    return step.more;
  }

  /**
   * Ends the reservation: if no job was created, deletes the reserved source (deleting a
   * missing key is fine, so this is idempotent) and leaves the object with no rows. A
   * failed delete throws, and the alarm retries it with backoff.
   */
  private async expireReservation(): Promise<void> {
    const key = this.reservation.sourceKey();
    if (this.store.job() !== null || key === null) {
      this.reservation.clear();
      this.timers.unschedule("reservation");
      return;
    }
    // No await between the check above and this: R2 I/O opens the input gate, and a
    // create arriving now must not make a job whose source is being deleted.
    this.abandoned = true;
    await this.env.BUCKET.delete(key);
    this.reservation.clear();
    this.timers.unschedule("reservation");
  }

  /** Removes what an unfinished or deleted job left outside this object. */
  private async cleanUp(attempts: number): Promise<void> {
    const job = this.store.job();
    if (!job) return this.timers.unschedule("cleanup");
    try {
      await this.runner.cleanUp(job);
      this.timers.unschedule("cleanup");
    } catch (err) {
      console.warn(JSON.stringify({ msg: "cleanup failed", jobId: job.id, error: String(err) }));
      this.timers.schedule("cleanup", Date.now() + retryBackoff(attempts), attempts + 1);
    }
  }

  /** After a commit: the index row and the hub/queue catch up, and the alarm is set. */
  private async settle(): Promise<void> {
    await Promise.all([this.index.flush(), this.forwardEvents(0), this.timers.scheduled("batch") ? this.reportToBatch(0) : null]);
    await this.arm();
  }

  /**
   * Tells the batch where this job is (created, or ended) until it acknowledges; a batch
   * that takes no more items has the job cancelled, before it ever starts.
   */
  private async reportToBatch(attempts: number): Promise<void> {
    const job = this.store.job();
    if (!job?.batchId) return this.timers.unschedule("batch");
    try {
      const reply = await reportToBatch(this.env, job);
      const current = this.store.job();
      // An end committed while the report was on its way is reported next.
      if (current?.status === job.status) this.timers.unschedule("batch");
      if (!reply.accepted && current?.status === "QUEUED") {
        const cancelled = cancelJob(current, new Date());
        if (cancelled.ok) {
          this.commit({ ...cancelled, job: { ...cancelled.job, errorMessage: reply.reason ?? "The batch takes no more items" } });
          this.timers.schedule("cleanup", this.after(0));
        }
      }
    } catch (err) {
      console.warn(JSON.stringify({ msg: "batch report failed", jobId: job.id, error: String(err) }));
      this.timers.schedule("batch", this.after(retryBackoff(attempts)), attempts + 1);
    }
  }

  /** Forwards logged events to the project hub and queue; on failure, retries from the alarm. */
  private forwardEvents(attempts: number): Promise<void> {
    // One forwarding pass at a time, in order; a commit starts one without waiting for it.
    this.forwarding = this.forwarding
      .then(async () => {
        if (await this.watchers.forward()) this.timers.unschedule("forward");
        else this.timers.schedule("forward", this.after(retryBackoff(attempts)), attempts + 1);
      })
      .catch((err) => console.error(JSON.stringify({ msg: "event forwarding failed", error: String(err) })));
    return this.forwarding;
  }

  /** Commits a transition and its event, then hands the event to the watchers. */
  private commit(t: Transition, log = true): void {
    const before = this.store.job();
    const { frame, version } = this.store.commit(t.job, log ? t.event : null);
    this.index.noteCommit(before, t.job, version);
    if (batchMustHear(before, t.job)) this.timers.schedule("batch", this.after(0));
    if (!frame) return;
    this.watchers.publish(frame);
    // The hub and queue get it now, not when the alarm ends (settle() awaits the pass).
    void this.forwardEvents(0);
  }

  /** Sets the alarm for the earliest due work, or deletes it when nothing is due. */
  private arm(): Promise<void> {
    return this.timers.arm();
  }

  /** A job with work to do always has an alarm: re-arm once per wake-up if it was lost. */
  private async ensureArmed(): Promise<void> {
    if (this.alarmChecked) return;
    this.alarmChecked = true;
    if (this.timers.nextDue() !== null && (await this.ctx.storage.getAlarm()) === null) {
      this.timers.fired(); // whatever this instance last set is gone
      await this.arm();
    }
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
  switch (r.reason) {
    case "not_cancellable":
    case "not_deletable":
      return { ok: false, reason: r.reason, status: r.status };
    case "already_deleted":
    case "not_queued":
    case "not_running":
      return { ok: false, reason: "not_found" };
  }
}
