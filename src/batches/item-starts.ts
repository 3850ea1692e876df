/**
 * How an item starts, per kind of source (the seam a new kind plugs into):
 * - `admit`: the item's job exists (an upload that joined the batch, held QUEUED): tell it to start;
 * - `fetch`: a URL (DESIGN §15): fetch it into R2 under the item's id, then create its job;
 * - `copy`: a retried upload item: copy the failed job's source and create a new job from it;
 * - `download`: an arXiv paper (DESIGN §14): its PDF through the arXiv gate into R2, then its job.
 * Every start is idempotent (the job id is the item id; creating it twice returns the
 * first), so a start cut short by an eviction is simply run again.
 */
import type { Config } from "../config";
import type { Env } from "../env";
import type { JobInit } from "../jobs/lifecycle";
import { sourceKey } from "../storage-keys";
import type { BatchItemRow, BatchStore, PendingStart } from "./batch-store";
import type { BatchRecord } from "./lifecycle";
import { fetchRemoteSource } from "./remote-source";
import type { BatchHarvest } from "../arxiv/batch-harvest";
import { downloadPaperPdf } from "../arxiv/harvest-step";

function jobStub(env: Env, id: string) {
  return env.INGEST_JOB.get(env.INGEST_JOB.idFromName(id));
}

/** The batch acts on its items' jobs with the authority its own caller was checked for. */
function system(b: BatchRecord) {
  return { principal: { sub: b.createdBy, roles: ["admin" as const], projects: [b.projectId] }, projectId: b.projectId };
}

export class BatchStarter {
  /** Starts running in this instance (an eviction forgets them, and they run again). */
  private readonly inFlight = new Set<string>();
  /**
   * Starts told to wait (arXiv's gate is paused or busy): not run again before this
   * time. In memory: after an eviction the start runs once more and the gate, whose
   * pause is stored, tells it again.
   */
  private readonly waits = new Map<string, number>();
  private ended = false;

  constructor(
    private readonly env: Env,
    private readonly store: BatchStore,
    private readonly harvest: BatchHarvest,
    private readonly config: () => Config,
    /** Told of every start that runs on in the background (fetches and copies take long). */
    private readonly background: (done: Promise<boolean>) => void,
  ) {}

  /** What starting `item` takes. */
  startKind(item: BatchItemRow): PendingStart {
    if (item.hasJob) return "admit";
    const kind = this.store.batch()?.kind;
    if (kind === "arxiv" && !item.retryOf) return "download";
    return kind === "urls" ? "fetch" : "copy";
  }

  /** True once if a start ended an item itself (a URL that could not be fetched). */
  endedDuringStarts(): boolean {
    const ended = this.ended;
    this.ended = false;
    return ended;
  }

  /** Runs every pending start not already running here; the number that must be tried again. */
  async runPendingStarts(cancelled: () => boolean): Promise<number> {
    const batch = this.store.batch();
    if (!batch) return 0;
    const now = Date.now();
    const todo = this.store.pendingStarts().filter((i) => !this.inFlight.has(i.id) && (this.waits.get(i.id) ?? 0) <= now);
    const run = (item: BatchItemRow) => this.runOne(batch, item, cancelled);
    for (const item of todo.filter((i) => i.pending !== "admit")) this.background(run(item));
    const results = await Promise.all(todo.filter((i) => i.pending === "admit").map(run));
    return results.filter((ok) => !ok).length;
  }

  /**
   * When the dispatch must run again for the starts left pending (`undefined`: none): at
   * the earliest time one was told to wait until, and, while some run in the background,
   * by `timeoutMs` after now (an eviction may have lost them).
   */
  nextDispatch(timeoutMs: number): number | undefined {
    let next = Infinity;
    for (const item of this.store.pendingStarts()) {
      if (item.pending === "admit") continue;
      const wait = this.waits.get(item.id);
      next = Math.min(next, wait ?? Date.now() + timeoutMs);
    }
    return Number.isFinite(next) ? next : undefined;
  }

  /** One start; false when it failed and must be tried again. */
  private async runOne(batch: BatchRecord, item: BatchItemRow, cancelled: () => boolean): Promise<boolean> {
    this.waits.delete(item.id);
    this.inFlight.add(item.id);
    try {
      if (cancelled()) return true;
      await this.start(batch, item, cancelled);
      return true;
    } catch (err) {
      console.warn(JSON.stringify({ msg: "item start failed; retried", itemId: item.id, error: String(err).slice(0, 300) }));
      return false;
    } finally {
      this.inFlight.delete(item.id);
    }
  }

  private async start(batch: BatchRecord, item: BatchItemRow, cancelled: () => boolean): Promise<void> {
    switch (item.pending) {
      case "admit": {
        const status = await jobStub(this.env, item.id).admit();
        if (status === null) throw new Error("the item's job does not exist yet");
        this.store.markStarted(item.id, true);
        return;
      }
      case "fetch":
        return this.fetchItem(batch, item, cancelled);
      case "copy":
        return this.copyItem(batch, item, cancelled);
      case "download":
        return this.downloadItem(batch, item, cancelled);
      case null:
        return;
    }
  }

  private async fetchItem(batch: BatchRecord, item: BatchItemRow, cancelled: () => boolean): Promise<void> {
    const config = this.config();
    const key = sourceKey({ projectId: batch.projectId, id: item.id });
    const outcome = await fetchRemoteSource(this.env, item.ref, key, {
      maxBytes: config.maxUploadBytes,
      timeoutMs: config.batches.fetchTimeoutMs,
      allowHttpLocalhost: config.batches.allowHttpLocalhost,
    });
    if (cancelled() || this.store.item(item.id)?.state !== "RUNNING") {
      if (outcome.ok) await this.env.BUCKET.delete(key);
      return;
    }
    if (!outcome.ok) {
      const at = new Date().toISOString();
      this.store.endItem(item.id, "FAILED", { at, stage: "FETCHING", code: outcome.code, message: outcome.message, item: item.ref }, null, at);
      this.ended = true;
      return;
    }
    await this.createJob(batch, item, {
      originalFilename: outcome.filename,
      sourcePath: item.ref,
      sourceUrl: item.ref,
      sourceId: null,
      byteSize: outcome.byteSize,
      mimeType: outcome.mimeType,
    });
  }

  private async downloadItem(batch: BatchRecord, item: BatchItemRow, cancelled: () => boolean): Promise<void> {
    const paper = this.harvest.item(item.id);
    const at = new Date().toISOString();
    if (!paper) {
      this.store.endItem(
        item.id,
        "FAILED",
        { at, stage: "DOWNLOADING", code: "SOURCE_GONE", message: "The item's paper is not recorded", item: item.ref },
        null,
        at,
      );
      this.ended = true;
      return;
    }
    const key = sourceKey({ projectId: batch.projectId, id: item.id });
    const outcome = await downloadPaperPdf(this.env, batch.id, paper.versionedId, key);
    if (outcome.kind === "cancelled") return;
    // arXiv (or its gate) asked to wait: not a failure; the start stays pending and the
    // dispatch runs it again when the gate allows (`nextDispatch`), not on a backoff.
    if (outcome.kind === "wait") {
      this.waits.set(item.id, outcome.retryAt);
      return;
    }
    if (cancelled() || this.store.item(item.id)?.state !== "RUNNING") {
      if (outcome.kind === "stored") await this.env.BUCKET.delete(key);
      return;
    }
    if (outcome.kind === "failed") {
      this.store.endItem(item.id, "FAILED", { at, stage: "DOWNLOADING", code: outcome.code, message: outcome.message, item: item.ref }, null, at);
      this.ended = true;
      return;
    }
    await this.createJob(batch, item, {
      originalFilename: `${paper.versionedId.replaceAll("/", "_")}.pdf`,
      sourcePath: paper.absUrl,
      sourceUrl: paper.absUrl,
      sourceId: paper.versionedId,
      byteSize: outcome.bytes,
      mimeType: "application/pdf",
    });
    // Counted once the item holds its job: a start run again after an eviction before this point downloads again.
    this.harvest.countDownload();
  }

  private async copyItem(batch: BatchRecord, item: BatchItemRow, cancelled: () => boolean): Promise<void> {
    const reply = item.retryOf ? await jobStub(this.env, item.retryOf).get(system(batch)) : null;
    if (!reply?.ok) {
      const at = new Date().toISOString();
      this.store.endItem(
        item.id,
        "FAILED",
        { at, stage: "PENDING", code: "SOURCE_GONE", message: "The failed item's job is gone, so its source cannot be retried", item: item.ref },
        null,
        at,
      );
      this.ended = true;
      return;
    }
    const old = reply.job;
    const source = await this.env.BUCKET.get(sourceKey(old));
    if (!source) {
      const at = new Date().toISOString();
      this.store.endItem(
        item.id,
        "FAILED",
        { at, stage: "PENDING", code: "SOURCE_GONE", message: "The failed item's source is no longer stored", item: item.ref },
        null,
        at,
      );
      this.ended = true;
      return;
    }
    const bytes = new Uint8Array(await source.arrayBuffer());
    if (cancelled()) return;
    await this.env.BUCKET.put(sourceKey({ projectId: batch.projectId, id: item.id }), bytes, { httpMetadata: { contentType: old.mimeType } });
    await this.createJob(batch, item, {
      originalFilename: old.originalFilename,
      sourcePath: old.sourcePath,
      sourceUrl: old.sourceUrl ?? null,
      sourceId: old.sourceId,
      byteSize: old.byteSize,
      mimeType: old.mimeType,
    });
  }

  private async createJob(
    batch: BatchRecord,
    item: BatchItemRow,
    source: Pick<JobInit, "originalFilename" | "sourcePath" | "sourceUrl" | "sourceId" | "byteSize" | "mimeType">,
  ): Promise<void> {
    const init: JobInit = {
      id: item.id,
      projectId: batch.projectId,
      ...source,
      isDeepScan: batch.options.isDeepScan,
      options: { chunkSize: batch.options.chunkSize, chunkOverlap: batch.options.chunkOverlap },
      createdBy: batch.createdBy,
      batchId: batch.id,
    };
    // Already admitted: the item holds one of the batch's slots.
    await jobStub(this.env, item.id).create(init);
    this.store.markStarted(item.id, true);
  }

  /** Cancels an item's job and records how it ended (cancelled, or the end it reached first). */
  async cancelJob(item: BatchItemRow): Promise<void> {
    const batch = this.store.batch();
    if (!batch) return;
    const reply = await jobStub(this.env, item.id).cancel(system(batch));
    const at = new Date().toISOString();
    if (reply.ok) this.store.endItem(item.id, "CANCELLED", null, { status: reply.job.status, stage: reply.job.stage, progress: reply.job.progress }, at);
    else if (reply.reason === "not_cancellable" && reply.status !== "QUEUED" && reply.status !== "RUNNING") {
      if (this.store.item(item.id)?.state === "RUNNING" || this.store.item(item.id)?.state === "QUEUED")
        this.store.endItem(item.id, reply.status, null, null, at);
    }
  }
}
