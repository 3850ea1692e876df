/**
 * IngestJob: one Durable Object per job (`idFromName(jobId)`), the job's single source of
 * truth, a thin shell around the pure lifecycle: load, one lifecycle call, commit the result
 * with its event, then bring the D1 row, watchers, hub and batch up to date. Its work runs
 * on timers (src/durable/timers.ts) over the one alarm.
 */
import { DurableObject } from "cloudflare:workers";
import type { Action } from "../auth/policy";
import { loadConfig } from "../config";
import { Timers } from "../durable/timers";
import type { Env } from "../env";
import { JobWatchers } from "../events/job-watchers";
import { ACCESS_HEADER, CLOSE_NORMAL, echoClose, meterClientFrame } from "../events/sockets";
import { forbidden, notFound, renderProblem } from "../http/problem";
import { BatchLink } from "./batch-link";
import { EventForwarding } from "./event-forwarding";
import { IndexWriter } from "./index-writer";
import { type Access, type Checked, checkAccess, type JobReply, refusal } from "./job-access";
import { type JobEvent, JobStore } from "./job-store";
import { cancelJob, createJob, deleteJob, retryJob, type Job, type JobInit, type Transition } from "./lifecycle";
import { EventOutbox, IndexOutbox } from "./outbox";
import { type ReservedSource, UploadReservation } from "./reservation";
import { PROGRESS_EVENT_INTERVAL_MS, SLICE_RETRY_BACKOFF } from "./slice-driver";
import { ALARM_SLICE_LIMITS, type SliceLimits, SliceLoop } from "./slice-loop";
import { PipelineRunner } from "./slice-runner";
import { nudgeJob } from "./job-nudge";
import type { Nudge, NudgeOutcome } from "./stall";
import type { PurgeOutcome, PurgeRequest } from "../retention/policy";
import { jobActive, purgeObject } from "../retention/object-purge";

/** The kinds of timed work a job's object runs. */
export type JobTimer = "slice" | "index" | "forward" | "reservation" | "cleanup" | "expiry" | "batch";

/** After a create, the index row and the hub catch up just after the reply; this `index` backstop is for a lost pass. */
const INDEX_BACKSTOP_MS = 500;

export class IngestJob extends DurableObject<Env> {
  private readonly timers: Timers<JobTimer>;
  private readonly store: JobStore;
  private readonly runner: PipelineRunner;
  private readonly watchers: JobWatchers;
  private readonly index: IndexWriter;
  private readonly reservation: UploadReservation;
  private readonly forwarding: EventForwarding;
  private readonly batch: BatchLink;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new JobStore(ctx.storage);
    this.timers = new Timers<JobTimer>({ storage: ctx.storage });
    this.index = new IndexWriter(env, this.store, new IndexOutbox(ctx.storage), this.timers, () => this.config.indexProgressIntervalMs);
    this.reservation = new UploadReservation(ctx.storage, this.timers, () => this.env.BUCKET, this.store);
    this.runner = new PipelineRunner(ctx.storage, env, () => this.index.d1());
    this.watchers = new JobWatchers(ctx, env, this.store, new EventOutbox(ctx.storage));
    this.forwarding = new EventForwarding(() => this.watchers.forward(), this.timers);
    this.batch = new BatchLink({ env, job: () => this.store.job(), timers: this.timers, commit: (t) => this.commit(t) });
    const slices = new SliceLoop({
      store: this.store,
      runner: this.runner,
      index: this.index,
      watchers: this.watchers,
      commit: (t, log) => this.commit(t, log),
      finished: () => this.timers.schedule("cleanup", Date.now()),
      settle: () => this.settle(),
      rules: () => ({ maxAttempts: this.config.stageMaxAttempts, progressEventIntervalMs: PROGRESS_EVENT_INTERVAL_MS }),
      limits: () => this.sliceLimits(),
      decodedBytesPerAlarm: () => this.config.limits.sliceDecodedBytes,
    });
    this.timers
      .register("slice", ({ attempts }) => slices.run(attempts), { backoff: SLICE_RETRY_BACKOFF })
      .register("index", () => this.index.onTimer())
      .register("forward", () => this.forwarding.onTimer())
      .register("reservation", () => this.reservation.expire())
      .register("cleanup", () => this.cleanUp())
      .register("expiry", () => this.watchers.expire() ?? undefined)
      .register("batch", () => this.batch.onTimer());
  }

  private get config() {
    return loadConfig(this.env);
  }

  /** How much one alarm does before it re-arms (a test subclass steps one slice at a time). */
  protected sliceLimits(): SliceLimits {
    return ALARM_SLICE_LIMITS;
  }

  /** Before the upload's last byte: this object owns the source until `create`, and deletes it if no job comes (UploadReservation). */
  async reserve(source: ReservedSource): Promise<void> {
    this.reservation.hold(source, this.config.sourceReservationMs);
    await this.timers.arm();
  }

  /** No job will be created here (the upload was refused, failed, or its create gave up): the source goes now. */
  async release(): Promise<void> {
    await this.reservation.release();
    await this.timers.arm();
  }

  /** Creates the job once (a repeat returns it). `held`: an item a client adds to a batch, counted there before the reply, QUEUED until `admit`. */
  async create(init: JobInit, opts: { held?: boolean } = {}): Promise<Job> {
    const existing = this.store.job();
    if (existing) return existing;
    if (this.reservation.abandoned) throw new Error(`The reservation of job ${init.id} expired: its upload was deleted`);
    const created = createJob(init, new Date());
    // In the same synchronous block as the job's commit: the reservation's clean-up
    // either ran before (and set `abandoned`) or will find the job and keep the source.
    this.reservation.taken();
    this.commit(created);
    if (!opts.held) this.timers.schedule("slice", Date.now());
    // The reply does not wait for D1 or the hub; the backstop is durable before it goes.
    this.timers.schedule("index", Date.now() + INDEX_BACKSTOP_MS);
    await this.timers.arm();
    if (opts.held) await this.batch.soon();
    void this.settle().catch((err) => console.error(JSON.stringify({ msg: "settle after create failed", jobId: init.id, error: String(err) })));
    return this.store.job() ?? created.job;
  }

  /** The batch lets its held QUEUED job start (its first slice). Idempotent; null before `create`. */
  async admit(): Promise<Job["status"] | null> {
    const job = this.store.job();
    if (job?.status === "QUEUED" && !this.timers.scheduled("slice")) {
      this.timers.schedule("slice", Date.now());
      await this.timers.arm();
    }
    return job?.status ?? null;
  }

  /** The job and its version, if `access` may read it. */
  async get(access: Access): Promise<JobReply> {
    const checked = this.check(access, "read");
    if (!checked.ok) return checked;
    await this.timers.ensureArmed();
    return { ...checked, version: this.store.state()?.version };
  }

  /** QUEUED | RUNNING → CANCELLED; no slice commits anything after this returns. */
  async cancel(access: Access): Promise<JobReply> {
    const checked = this.check(access, "cancel");
    if (!checked.ok) return checked;
    const result = cancelJob(checked.job, new Date());
    if (!result.ok) return refusal(result);
    // No await between the check and this commit: a slice that resumes later sees CANCELLED.
    this.commit(result);
    this.timers.unschedule("slice");
    this.timers.schedule("cleanup", Date.now());
    await this.settle();
    return { ok: true, job: result.job, bookmark: this.index.bookmark };
  }

  /** FAILED → RUNNING from the last checkpoint, when the failure can be retried. */
  async retry(access: Access): Promise<JobReply> {
    const checked = this.check(access, "retry");
    if (!checked.ok) return checked;
    const result = retryJob(checked.job, new Date());
    if (!result.ok) return refusal(result);
    this.commit(result);
    this.timers.unschedule("cleanup");
    this.timers.schedule("slice", Date.now());
    await this.settle();
    return { ok: true, job: result.job, bookmark: this.index.bookmark };
  }

  /** Soft delete of a finished job; its object removes the source. */
  async remove(access: Access): Promise<JobReply> {
    const checked = this.check(access, "delete");
    if (!checked.ok) return checked;
    const result = deleteJob(checked.job, new Date());
    if (!result.ok) return refusal(result);
    this.commit(result);
    this.timers.schedule("cleanup", Date.now());
    await this.settle();
    this.watchers.closeAll(CLOSE_NORMAL, "Job deleted");
    return { ok: true, job: result.job, bookmark: this.index.bookmark };
  }

  /**
   * The job's canonical document was deleted. The job keeps `canonicalDocumentId` (it did
   * produce that document) and says `documentDeleted: true`; no event is logged. True
   * when this job's document is the one named.
   */
  async documentDeleted(documentId: string): Promise<boolean> {
    const job = this.store.job();
    if (!job || job.canonicalDocumentId !== documentId) return false;
    if (job.documentDeleted) return true;
    // Not logged (`log` false): a field of the finished job changes, the job did nothing.
    this.commit({ job: { ...job, documentDeleted: true, updatedAt: new Date().toISOString() }, event: "job.completed" }, false);
    await this.settle();
    return true;
  }

  /**
   * The project hub heard nothing from this job for `STALL_AFTER_MS`. Makes sure its due
   * work has an alarm: the runtime is asked, not this instance's belief, and a lost alarm
   * (or a lost next slice) is set again. After `STAGE_MAX_ATTEMPTS` nudges that did not
   * make the job log anything, fails it `STALLED`; its event reaches everyone as usual.
   */
  async nudge(nudge: Nudge): Promise<NudgeOutcome> {
    const deps = { store: this.store, timers: this.timers, commit: (t: Transition) => this.commit(t), settle: () => this.settle() };
    return nudgeJob({ ...deps, maxAttempts: this.config.stageMaxAttempts }, nudge);
  }

  /**
   * The retention purger: a finished job past its retention (or a deleted one past its
   * grace) removes its source and any staged objects from R2, then its alarm and all its
   * storage. Its document, if it has one, stays.
   */
  async purge(request: PurgeRequest): Promise<PurgeOutcome> {
    return purgeObject(
      {
        record: () => this.store.job(),
        active: jobActive,
        forget: () => this.store.forget(),
        reload: () => this.store.reload(),
        // As for a deleted job: the source and whatever an unfinished document staged go.
        removeOutside: (job) => this.runner.cleanUp({ ...job, deletedAt: job.deletedAt ?? new Date().toISOString() }, false),
        closeWatchers: () => this.watchers.closeAll(CLOSE_NORMAL, "Job purged"),
        storage: this.ctx.storage,
      },
      request,
    );
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
    if (!checked.ok) return renderProblem(checked.reason === "forbidden" ? forbidden() : notFound("Ingest job not found"));
    const { response, expiresAt } = this.watchers.accept(request);
    this.timers.schedule("expiry", expiresAt);
    await this.timers.arm();
    return response;
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    meterClientFrame(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    echoClose(ws, code, reason);
  }

  override async alarm(): Promise<void> {
    await this.timers.run();
  }

  /** Removes what an unfinished or deleted job left outside this object; throws to be retried. */
  private async cleanUp(): Promise<void> {
    const job = this.store.job();
    if (job) await this.runner.cleanUp(job, this.config.keepSources);
  }

  /** After a commit: the index row and the hub/queue catch up, and the alarm is set. */
  private async settle(): Promise<void> {
    await Promise.all([this.index.flush(), this.forwarding.soon(), this.batch.soon()]);
    await this.timers.arm();
  }

  /** Commits a transition and its event, then hands the event to the watchers. */
  private commit(t: Transition, log = true): void {
    const before = this.store.job();
    const { frame, version } = this.store.commit(t.job, log ? t.event : null);
    this.index.noteCommit(before, t.job, version);
    this.batch.noteCommit(before, t.job);
    if (!frame) return;
    this.watchers.publish(frame);
    // The hub and queue get it now, not when the alarm ends (settle() awaits the pass).
    void this.forwarding.soon();
  }

  private check(access: Access, action: Action): Checked {
    return checkAccess(this.store.job(), access, action);
  }
}
