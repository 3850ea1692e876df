/**
 * IngestBatch: one Durable Object per batch (`idFromName(batchId)`), the batch's single
 * source of truth (DESIGN §13). It owns the batch, its items and their states, its event
 * log and its D1 row. Items are ordinary jobs carrying `batchId`: each job object reports
 * its creation and its end here at least once (`itemReport`, src/batches/item-reports.ts),
 * and the item's state moves once per (job, end), so the counts, read from the items'
 * states, always add up.
 *
 * The alarm's work is a few idempotent handlers registered with `Timers`: `dispatch` (let
 * queued items start, up to BATCH_CONCURRENCY, and finish starts left half done:
 * src/batches/dispatch.ts), `index`
 * (the D1 row), `forward` (events to the project hub), `cancel` (the jobs of items a
 * cancel ended before they started), `expiry` (watchers whose token expired). A change
 * runs what it made due at once (`settle`); the alarm is the backstop, and the registry
 * owns retries and re-arming.
 */
import { DurableObject } from "cloudflare:workers";
import { authorize, type Action, type Principal } from "../auth/policy";
import { loadConfig } from "../config";
import { projectDb } from "../db/shards";
import type { Env } from "../env";
import { ACCESS_HEADER, acceptWatcher, broadcast, closeExpired, echoClose, enableAutoPong, meterClientFrame } from "../events/sockets";
import { forbidden, notFound, renderProblem } from "../http/problem";
import type { ItemReport, ItemReportReply } from "../jobs/batch-link";
import type { Access } from "../jobs/job-access";
import { meterD1 } from "../jobs/outbox";
import { Timers } from "../durable/timers";
import { BatchHarvest } from "../arxiv/batch-harvest";
import { cancelHarvest, type HarvestState, harvestStep, linkPaperDocument, newHarvest } from "../arxiv/harvest-step";
import type { Nudge, NudgeOutcome } from "../jobs/stall";
import type { PurgeOutcome, PurgeRequest } from "../retention/policy";
import { purgeObject } from "../retention/object-purge";
import { upsertBatchRow } from "./batch-index";
import { nudgeBatch } from "./batch-nudge";
import { type BatchEvent, type BatchItemRow, BatchStore } from "./batch-store";
import { BatchDispatch } from "./dispatch";
import { BatchStarter } from "./item-starts";
import { recordItemReport } from "./item-reports";
import { type ItemSource, itemSource } from "./item-source";
import {
  acceptsItems,
  type Batch,
  type BatchInit,
  type BatchRecord,
  type BatchResult,
  type BatchStatus,
  type BatchTransition,
  cancelBatch,
  closeBatch,
  createBatch,
  deleteBatch,
  failBatch,
  isBatchTerminal,
  itemRetryable,
  type ItemState,
  retryBatch,
  settleBatch,
  startBatch,
} from "./lifecycle";

export type BatchReply =
  | { ok: true; batch: Batch; version?: number }
  | { ok: false; reason: "not_found" | "forbidden" }
  | { ok: false; reason: "not_cancellable" | "not_deletable" | "not_retryable" | "closed"; status: BatchStatus; detail?: string };

/** What a batch is created with besides its record: the URLs of a `urls` batch, the request of an `arxiv` one. */
export interface BatchSeed {
  urls?: string[];
  arxiv?: HarvestState["request"];
}

/** `batch.progress` at most this often (the last counts are always in the terminal event). */
const PROGRESS_EVENT_MS = 500;
const TAG = "batch";
/** The kinds of timed work a batch's object runs. */
export type BatchWorkKind = "dispatch" | "index" | "forward" | "cancel" | "expiry" | "harvest" | "papers";
type WorkKind = BatchWorkKind;

export class IngestBatch extends DurableObject<Env> {
  private readonly store: BatchStore;
  private readonly starter: BatchStarter;
  private readonly dispatcher: BatchDispatch;
  private readonly timers: Timers<WorkKind>;
  /** An arxiv batch's harvest (src/arxiv/batch-harvest.ts); empty for other kinds. */
  private readonly harvest: BatchHarvest;
  private forwarding: Promise<void> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    enableAutoPong(ctx);
    this.store = new BatchStore(ctx.storage);
    this.harvest = new BatchHarvest(ctx.storage);
    this.timers = new Timers<WorkKind>({ storage: ctx.storage })
      .register("dispatch", () => this.dispatcher.onTimer())
      .register("index", () => this.writeIndex())
      .register("forward", () => this.forward())
      .register("cancel", () => this.cancelQueuedJobs())
      .register("expiry", () => closeExpired(this.ctx) ?? undefined)
      .register("harvest", () => this.harvestPage())
      .register("papers", () => this.linkPapers());
    this.starter = new BatchStarter(
      env,
      this.store,
      this.harvest,
      () => this.config,
      (done) => this.dispatcher.backgroundStartEnded(done),
    );
    this.dispatcher = new BatchDispatch({
      ctx,
      store: this.store,
      starter: this.starter,
      config: () => this.config,
      commit: (t) => this.commit(t),
      itemEnded: () => this.afterItemEnded(),
      schedule: (kind, delayMs) => this.schedule(kind, delayMs),
      settle: () => this.settle(),
    });
  }

  private get config() {
    return loadConfig(this.env);
  }

  /** Creates the batch once (a repeated call returns it), with a `urls` batch's items. */
  async create(init: BatchInit, seed: BatchSeed = {}): Promise<Batch> {
    const existing = this.store.batch();
    if (existing) return this.view(existing);
    const now = new Date();
    const created = createBatch(init, now);
    // A harvest adds its items page by page: the batch stays open until the last page.
    if (seed.arxiv) created.batch.open = true;
    this.ctx.storage.transactionSync(() => {
      if (seed.arxiv) this.harvest.begin(newHarvest(seed.arxiv));
      if (seed.urls) {
        const seen = new Set<string>();
        for (const url of seed.urls) {
          const id = crypto.randomUUID();
          const host = hostOf(url);
          const duplicate = seen.has(url);
          seen.add(url);
          this.store.addItem({ id, ref: url, state: duplicate ? "SKIPPED" : "QUEUED", hasJob: false, host }, now.toISOString());
        }
      }
      this.commit(created);
    });
    this.schedule("index", 0);
    this.schedule("dispatch", 0);
    if (seed.arxiv) this.schedule("harvest", 0);
    await this.settle();
    return this.view(this.store.batch()!);
  }

  /** The batch and its version, if `access` may read it. */
  async get(access: Access): Promise<BatchReply> {
    const checked = this.check(access, "read");
    if (!checked.ok) return checked;
    return { ok: true, batch: this.view(checked.batch), version: this.store.state()?.version };
  }

  /** Whether `access` may add an item now (the create route asks before it stores the upload). */
  async accepting(access: Access): Promise<BatchReply> {
    const checked = this.check(access, "create");
    if (!checked.ok) return checked;
    const b = checked.batch;
    if (!acceptsItems(b)) return { ok: false, reason: "closed", status: b.status };
    if (this.store.itemCount() >= this.config.batches.maxItems) return { ok: false, reason: "closed", status: b.status };
    return { ok: true, batch: this.view(b) };
  }

  /**
   * A job of this batch reports where it is (created, or ended). At least once per change;
   * a repeat changes nothing. A job the batch does not know joins it while it is open.
   */
  async itemReport(report: ItemReport): Promise<ItemReportReply> {
    const reply = recordItemReport(
      {
        store: this.store,
        harvest: this.harvest,
        maxItems: () => this.config.batches.maxItems,
        commit: (t) => this.commit(t),
        itemEnded: () => this.afterItemEnded(),
        schedule: (kind, delayMs) => this.schedule(kind, delayMs),
        startOnReport: (jobId) => this.dispatcher.startOnReport(jobId),
        dispatchDue: () => this.dispatcher.due(),
      },
      report,
    );
    if (!reply.accepted) return reply;
    // The job waits for this reply (a client's create does), not for the starts it makes
    // due: the alarm is set for them before the reply, and they run right after it.
    await this.timers.arm();
    this.ctx.waitUntil(this.settle().catch((err) => console.warn(JSON.stringify({ msg: "batch settle after a report failed", error: String(err) }))));
    return reply;
  }

  /** No more items will be added; the batch ends once every item has. */
  async close(access: Access): Promise<BatchReply> {
    return this.command(access, "create", (b) => closeBatch(b, new Date()));
  }

  /**
   * The batch and every unfinished item end CANCELLED. Queued items never start (the
   * batch lets none start after this commit); running items' jobs are cancelled before
   * the reply; the jobs of queued items are cancelled from the alarm.
   */
  async cancel(access: Access): Promise<BatchReply> {
    const checked = this.check(access, "cancel");
    if (!checked.ok) return checked;
    const result = cancelBatch(checked.batch, new Date());
    if (!result.ok) return refusal(result);
    const now = new Date().toISOString();
    const running = this.store.unfinished("RUNNING");
    this.ctx.storage.transactionSync(() => {
      for (const item of this.store.unfinished("QUEUED")) this.store.endItem(item.id, "CANCELLED", null, item.job, now);
      for (const item of running) if (!item.hasJob) this.store.endItem(item.id, "CANCELLED", null, item.job, now);
      this.commit(result);
    });
    this.schedule("cancel", 0);
    // A harvest's queued requests at the arXiv gate never go out (best effort: the harvest stops anyway).
    if (checked.batch.kind === "arxiv") await cancelHarvest(this.env, checked.batch.id).catch(() => 0);
    await Promise.all(running.filter((i) => i.hasJob).map((item) => this.starter.cancelJob(item)));
    await this.settle();
    return { ok: true, batch: this.view(this.store.batch()!) };
  }

  /**
   * Re-runs every failed item a retry can mend (`itemRetryable`): each goes back to
   * QUEUED, the same item and job, and starts as a slot frees up (a job's own retry, or
   * its source fetched again). Items a retry cannot mend stay FAILED. The same rule as a
   * job's retry decides who may: its creator, or a dispatcher or admin.
   */
  async retry(access: Access): Promise<BatchReply> {
    const checked = this.check(access, "retry");
    if (!checked.ok) return checked;
    const failed = this.store.failedItems();
    const retryable = failed.filter(itemRetryable);
    const result = retryBatch(checked.batch, failed.length, retryable.length, new Date());
    if (!result.ok) return refusal(result);
    const now = new Date().toISOString();
    this.ctx.storage.transactionSync(() => {
      for (const item of retryable) this.store.requeue(item.id, now);
      this.commit(result);
    });
    this.schedule("dispatch", 0);
    await this.settle();
    return { ok: true, batch: this.view(this.store.batch()!) };
  }

  /** Soft delete of a finished batch; its items and documents stay. */
  async remove(access: Access): Promise<BatchReply> {
    return this.command(access, "delete", (b) => deleteBatch(b, new Date()));
  }

  /** A page of items in order (`after` is an ordinal), optionally of one state. */
  async items(
    access: Access,
    after: number,
    limit: number,
    state?: ItemState,
  ): Promise<{ ok: true; items: (BatchItemRow & ItemSource)[] } | { ok: false; reason: "not_found" | "forbidden" }> {
    const checked = this.check(access, "read");
    if (!checked.ok) return checked;
    const items = this.store.itemsPage(after, limit, state).map((row) => ({ ...row, ...itemSource(checked.batch.kind, row, this.harvest) }));
    return { ok: true, items };
  }

  async events(access: Access, after: number): Promise<{ ok: true; events: BatchEvent[]; lastSeq: number } | { ok: false; reason: "not_found" | "forbidden" }> {
    const checked = this.check(access, "read");
    if (!checked.ok) return checked;
    return { ok: true, events: this.store.events(after), lastSeq: this.store.lastSeq() };
  }

  /**
   * The project hub heard nothing from this batch for `STALL_AFTER_MS`: records item ends
   * it missed, re-arms a lost alarm, or fails it `STALLED` after `STAGE_MAX_ATTEMPTS`
   * nudges that did not help (src/batches/batch-nudge.ts).
   */
  async nudge(nudge: Nudge): Promise<NudgeOutcome> {
    return nudgeBatch(
      {
        env: this.env,
        store: this.store,
        timers: this.timers,
        maxAttempts: this.config.stageMaxAttempts,
        concurrency: this.config.batches.concurrency,
        access: (b) => ({ principal: batchPrincipal(b), projectId: b.projectId }),
        commit: (t) => this.commit(t),
        itemEnded: () => this.afterItemEnded(),
        settle: () => this.settle(),
      },
      nudge,
    );
  }

  /** The retention purger: a finished batch past its retention (or deleted past its grace) removes its alarm and storage; its items are jobs, purged on their own. */
  async purge(request: PurgeRequest): Promise<PurgeOutcome> {
    return purgeObject(
      {
        record: () => this.store.batch(),
        active: (b) => !isBatchTerminal(b.status),
        forget: () => this.store.forget(),
        reload: () => this.store.reload(),
        removeOutside: async () => {},
        closeWatchers: () => {
          for (const ws of this.ctx.getWebSockets()) ws.close(1000, "Batch purged");
        },
        storage: this.ctx.storage,
      },
      request,
    );
  }

  /** D1 statements this batch has issued (tests and the benchmark read it). */
  async d1Statements(): Promise<number> {
    return this.store.outbox().d1Statements;
  }

  /** WebSocket watchers: a `batch.snapshot` first, or the logged events after `?after=`. */
  override async fetch(request: Request): Promise<Response> {
    const access = JSON.parse(request.headers.get(ACCESS_HEADER) ?? "null") as Access | null;
    const checked = access ? this.check(access, "read") : ({ ok: false, reason: "forbidden" } as const);
    if (!checked.ok) return renderProblem(checked.reason === "forbidden" ? forbidden() : notFound("Batch not found"));
    const { response, socket, expiresAt } = acceptWatcher(this.ctx, request, TAG);
    const afterParam = new URL(request.url).searchParams.get("after");
    if (afterParam === null) socket.send(JSON.stringify({ type: "batch.snapshot", seq: this.store.lastSeq(), batch: this.view(checked.batch) }));
    else for (const e of this.store.events(Number(afterParam), 100_000)) socket.send(JSON.stringify(e));
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

  /**
   * Runs every due handler (the registry retries a failing one with backoff). Tests fire
   * alarms early on purpose: then the earliest work other than watcher expiry runs.
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const earliest = Math.min(
      ...(["dispatch", "index", "forward", "cancel", "harvest", "papers"] as const).map((k) => this.timers.scheduled(k)?.due ?? Infinity),
    );
    await this.timers.run(earliest <= now || earliest === Infinity ? now : earliest);
    await this.settle();
  }

  // --- handlers --------------------------------------------------------------------------

  /**
   * One page of an arxiv batch's harvest (src/arxiv/harvest-step.ts): the page's state,
   * its items and, after the last page, the batch's close or failure commit together.
   * Returns when to read the next page (at once, or when arXiv lets us).
   */
  private async harvestPage(): Promise<number | undefined> {
    const before = this.store.batch();
    const state = this.harvest.state();
    if (!before || !state || state.cursor.done || isBatchTerminal(before.status)) return;
    const step = await harvestStep(this.env, before.id, before.projectId, state);
    const batch = this.store.batch();
    // Re-checked after the await: a cancel that landed meanwhile is never overwritten.
    if (step.kind === "cancelled" || !batch || isBatchTerminal(batch.status)) return;
    const now = new Date();
    const at = now.toISOString();
    this.ctx.storage.transactionSync(() => {
      // Items downloaded and completed while the page was on its way moved the PDF
      // counters; the step knows only the page's, so those two are kept as they are now.
      const stats = this.harvest.state()?.stats ?? step.state.stats;
      this.harvest.save({ ...step.state, stats: { ...step.state.stats, pdfs_downloaded: stats.pdfs_downloaded, pdfs_processed: stats.pdfs_processed } });
      if (step.kind !== "page") return;
      for (const paper of step.items) {
        const id = crypto.randomUUID();
        this.store.addItem({ id, ref: paper.versionedId, state: "QUEUED", hasJob: false, host: null }, at);
        this.harvest.addItem(id, paper);
      }
      for (const missing of step.missing) {
        const id = crypto.randomUUID();
        this.store.addItem({ id, ref: missing, state: "QUEUED", hasJob: false, host: null }, at);
        this.store.endItem(id, "FAILED", { at, stage: "HARVESTING", code: "not_found", message: `arXiv has no paper ${missing}`, item: missing }, null, at);
      }
      const started = startBatch(this.store.batch()!, now);
      if (started) this.commit(started);
      if (!step.state.cursor.done) return;
      const error = step.state.cursor.error;
      if (error?.fatal) {
        const failed = failBatch(this.store.batch()!, error.message, now);
        if (failed) this.commit(failed);
      } else {
        const closed = closeBatch(this.store.batch()!, now);
        if (closed.ok) this.commit(closed);
      }
      const settled = settleBatch(this.store.batch()!, this.store.counts(), now);
      if (settled) this.commit(settled);
    });
    this.schedule("dispatch", 0);
    this.schedule("index", this.config.indexProgressIntervalMs);
    if (step.kind === "wait") return step.retryAt;
    return step.state.cursor.done ? undefined : Date.now();
  }

  /** Points each completed item's paper at its new document (src/arxiv/harvest-step.ts `linkPaperDocument`). */
  private async linkPapers(): Promise<number | undefined> {
    const batch = this.store.batch();
    if (!batch) return;
    const access = { principal: batchPrincipal(batch), projectId: batch.projectId };
    for (const { itemId, paper } of this.harvest.toLink()) {
      const reply = await this.env.INGEST_JOB.get(this.env.INGEST_JOB.idFromName(itemId)).get(access);
      await linkPaperDocument(this.env, batch.projectId, itemId, paper, reply.ok ? reply.job.canonicalDocumentId : null);
      this.harvest.linked(itemId);
    }
    return this.harvest.toLink(1).length ? Date.now() : undefined;
  }

  /** The jobs of items a cancel ended while they waited (they never started). */
  private async cancelQueuedJobs(): Promise<void> {
    const items = this.store.itemsPage(0, 100_000, "CANCELLED").filter((i) => i.hasJob && i.job?.status === "QUEUED");
    const results = await Promise.allSettled(items.map((item) => this.starter.cancelJob(item)));
    if (results.some((r) => r.status === "rejected")) throw new Error("some queued items' jobs could not be cancelled yet");
  }

  /**
   * Writes the D1 row when its status (or deletion) is not in D1 yet, or when counts moved
   * and the interval has passed; returns when to come back for counts still unwritten.
   */
  private async writeIndex(): Promise<number | undefined> {
    const state = this.store.state();
    if (!state) return;
    const out = this.store.outbox();
    const status = `${state.batch.status}:${state.batch.deletedAt ?? ""}`;
    const now = Date.now();
    const dueAt = out.indexedAt + this.config.indexProgressIntervalMs;
    if (out.indexedStatus === status && now < dueAt) return out.countsWritten === this.countsKey() ? undefined : dueAt;
    if (out.indexedStatus === status && out.countsWritten === this.countsKey()) return;
    const d1 = meterD1(projectDb(this.env, state.batch.projectId), (n) => this.store.countStatements(n));
    const view = this.view(state.batch);
    await upsertBatchRow(d1, view, state.version, state.batch.deletedAt);
    this.store.markIndexed(status, JSON.stringify(view.counts), now);
  }

  private countsKey(): string {
    return JSON.stringify(this.store.counts());
  }

  /** Hands logged events not yet forwarded to the project hub, in order; retried from the alarm. */
  private forward(): Promise<void> {
    // One pass at a time, in order; the hub drops frames it has already seen.
    const pass = this.forwarding.then(async () => {
      const batch = this.store.batch();
      if (!batch) return;
      for (;;) {
        const events = this.store.events(this.store.outbox().forwardedSeq, 100);
        const last = events[events.length - 1];
        if (!last) return;
        await this.env.PROJECT_HUB.get(this.env.PROJECT_HUB.idFromName(batch.projectId)).publishBatch(events);
        this.store.markForwarded(last.seq);
      }
    });
    this.forwarding = pass.catch(() => {});
    return pass;
  }

  // --- shell -----------------------------------------------------------------------------

  /** After an item's end: progress (throttled), and the outcome once nothing is left. */
  private afterItemEnded(): void {
    const batch = this.store.batch();
    if (!batch) return;
    const settled = settleBatch(batch, this.store.counts(), new Date());
    if (settled) return this.commit(settled);
    if (isBatchTerminal(batch.status)) return;
    const now = Date.now();
    if (now - this.store.lastProgressEventAt() >= PROGRESS_EVENT_MS) this.publish(this.store.logEvent("batch.progress", now));
    this.schedule("index", this.config.indexProgressIntervalMs);
  }

  private async command(access: Access, action: Action, run: (b: BatchRecord) => BatchResult): Promise<BatchReply> {
    const checked = this.check(access, action);
    if (!checked.ok) return checked;
    const result = run(checked.batch);
    if (!result.ok) return refusal(result);
    this.commit(result);
    const settled = settleBatch(this.store.batch()!, this.store.counts(), new Date());
    if (settled) this.commit(settled);
    await this.settle();
    return { ok: true, batch: this.view(this.store.batch()!) };
  }

  /** Commits a transition and its event; the D1 row and the hub catch up in `settle`. */
  private commit(t: BatchTransition): void {
    const before = this.store.batch();
    const { frame } = this.store.commit(t.batch, t.event);
    this.publish(frame);
    if (!before || before.status !== t.batch.status || before.deletedAt !== t.batch.deletedAt || before.open !== t.batch.open) this.schedule("index", 0);
  }

  private publish(frame: BatchEvent | null): void {
    if (!frame) return;
    broadcast(this.ctx, TAG, JSON.stringify(frame));
    this.schedule("forward", 0);
  }

  /**
   * Runs what a change made due now rather than at the alarm: the dispatch (admits are
   * quick; fetches go on in the background, see `BatchStarter`), an urgent index write and
   * the forwarding; then arms the alarm for the rest. What fails stays on the schedule,
   * and the alarm retries it with backoff.
   */
  private async settle(): Promise<void> {
    const dispatch = this.timers.scheduled("dispatch");
    if (dispatch && dispatch.attempts === 0) await this.runNow("dispatch", () => this.dispatcher.onTimer());
    const tasks: Promise<void>[] = [];
    const index = this.timers.scheduled("index");
    if (index && index.attempts === 0 && index.due <= Date.now()) tasks.push(this.runNow("index", () => this.writeIndex()));
    if (this.timers.scheduled("forward")?.attempts === 0) tasks.push(this.runNow("forward", () => this.forward()));
    await Promise.all(tasks);
    await this.timers.arm();
  }

  /** Runs a kind's work out of the alarm: done takes it off the schedule; a next time replaces it; a failure leaves it. */
  private async runNow(kind: WorkKind, work: () => Promise<number | undefined | void>): Promise<void> {
    try {
      const next = await work();
      this.timers.unschedule(kind);
      if (typeof next === "number") this.timers.schedule(kind, next);
    } catch (err) {
      console.warn(JSON.stringify({ msg: "batch work failed; the alarm retries", kind, error: String(err).slice(0, 300) }));
    }
  }

  private view(b: BatchRecord): Batch {
    const { deletedAt: _d, errorMessage, errorCode, ...rest } = b;
    const errors = this.store.errors();
    if (errorMessage) errors.unshift({ at: b.updatedAt, stage: "BATCH", code: errorCode ?? "BATCH_FAILED", message: errorMessage, item: b.id });
    const harvestError = this.harvest.softError();
    if (harvestError) errors.unshift({ at: b.updatedAt, stage: "HARVESTING", ...harvestError, item: b.id });
    return { ...rest, stats: { ...rest.stats, ...this.harvest.stats() }, counts: this.store.counts(), errors };
  }

  private check(access: Access, action: Action): { ok: true; batch: BatchRecord } | { ok: false; reason: "not_found" | "forbidden" } {
    const batch = this.store.batch();
    if (!batch || batch.deletedAt) return { ok: false, reason: "not_found" };
    if (access.projectId !== undefined && access.projectId !== batch.projectId) return { ok: false, reason: "not_found" };
    const decision = authorize(access.principal, action, { projectId: batch.projectId, createdBy: batch.createdBy });
    if (decision === "hidden") return { ok: false, reason: "not_found" };
    if (decision === "forbidden") return { ok: false, reason: "forbidden" };
    return { ok: true, batch };
  }

  /** Puts `kind` on the schedule `delayMs` from now. */
  private schedule(kind: WorkKind, delayMs: number): void {
    this.timers.schedule(kind, Date.now() + delayMs);
  }
}

function refusal(r: Exclude<BatchResult, { ok: true }>): BatchReply {
  if (r.reason === "already_deleted") return { ok: false, reason: "not_found" };
  return { ok: false, reason: r.reason, status: r.status, detail: r.detail };
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return null;
  }
}

/** The batch acts on its items' jobs with the authority its own caller was checked for. */
export function batchPrincipal(b: { projectId: string; createdBy: string }): Principal {
  return { sub: b.createdBy, roles: ["admin"], projects: [b.projectId] };
}
