/**
 * The batch lifecycle (DESIGN §13): which transitions a batch allows, how its items move
 * between states, what its counts are and which outcome it ends with. Pure: no storage,
 * no Cloudflare types. The IngestBatch Durable Object loads the batch, calls one of these,
 * and persists the result.
 */
import { isRetryableCode } from "../contract/error-code";

export const BATCH_STATUSES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const BATCH_KINDS = ["upload", "urls", "arxiv"] as const;
export type BatchKind = (typeof BATCH_KINDS)[number];

export const BATCH_EVENT_TYPES = ["batch.created", "batch.started", "batch.progress", "batch.completed", "batch.failed", "batch.cancelled"] as const;
export type BatchEventType = (typeof BATCH_EVENT_TYPES)[number];

/**
 * Where one item is, from the batch's side. `QUEUED`: waiting for a slot; `RUNNING`: past
 * QUEUED (being fetched, or its job was let start) and not yet ended; the rest are ends.
 * `SKIPPED`: never attempted on purpose (the same URL twice in one batch).
 */
export const ITEM_STATES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "SKIPPED"] as const;
export type ItemState = (typeof ITEM_STATES)[number];
export type ItemEnd = Exclude<ItemState, "QUEUED" | "RUNNING">;

export interface BatchCounts {
  total: number;
  queued: number;
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
  skipped: number;
}

export interface BatchOptions {
  chunkSize: number;
  chunkOverlap: number;
  isDeepScan: boolean;
}

/** One item's failure as the batch reports it. */
export interface BatchError {
  at: string;
  stage: string;
  code: string;
  message: string;
  /** The item's job id, or its source reference when no job was made (a URL that could not be fetched). */
  item: string;
}

/** The batch's own record; `counts` are derived from its items when it is read. */
export interface BatchRecord {
  id: string;
  projectId: string;
  kind: BatchKind;
  status: BatchStatus;
  /** True while items may still be added (an `upload` batch until it is closed). */
  open: boolean;
  options: BatchOptions;
  source: Record<string, unknown>;
  stats: Record<string, number | string>;
  /** Why the batch itself failed, when it did. */
  errorMessage: string | null;
  /** The code of that failure (`STALLED` when it stopped moving); absent: `BATCH_FAILED`. */
  errorCode?: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  completedAt: string | null;
  deletedAt: string | null;
}

/** The full batch, exactly as the API returns it. */
export interface Batch extends Omit<BatchRecord, "deletedAt" | "errorMessage" | "errorCode"> {
  counts: BatchCounts;
  errors: BatchError[];
}

export interface BatchInit {
  id: string;
  projectId: string;
  kind: BatchKind;
  options: BatchOptions;
  source: Record<string, unknown>;
  createdBy: string;
}

export type BatchRefusal =
  | { ok: false; reason: "not_cancellable" | "not_deletable" | "not_retryable" | "closed"; status: BatchStatus; detail?: string }
  | { ok: false; reason: "already_deleted" };

export interface BatchTransition {
  batch: BatchRecord;
  event: BatchEventType | null;
}

export type BatchResult = ({ ok: true } & BatchTransition) | BatchRefusal;

export function isBatchTerminal(status: BatchStatus): boolean {
  return status === "COMPLETED" || status === "FAILED" || status === "CANCELLED";
}

export function isItemEnded(state: ItemState): state is ItemEnd {
  return state !== "QUEUED" && state !== "RUNNING";
}

export function emptyCounts(): BatchCounts {
  return { total: 0, queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0, skipped: 0 };
}

/** Counts from the number of items in each state: `total` is their sum, so they always add up. */
export function countsFrom(byState: Partial<Record<ItemState, number>>): BatchCounts {
  const c = emptyCounts();
  c.queued = byState.QUEUED ?? 0;
  c.running = byState.RUNNING ?? 0;
  c.completed = byState.COMPLETED ?? 0;
  c.failed = byState.FAILED ?? 0;
  c.cancelled = byState.CANCELLED ?? 0;
  c.skipped = byState.SKIPPED ?? 0;
  c.total = c.queued + c.running + c.completed + c.failed + c.cancelled + c.skipped;
  return c;
}

/** The invariant every test checks: total = queued + running + completed + failed + cancelled + skipped. */
export function countsAddUp(c: BatchCounts): boolean {
  return c.total === c.queued + c.running + c.completed + c.failed + c.cancelled + c.skipped;
}

export function createBatch(init: BatchInit, now: Date): BatchTransition {
  const at = now.toISOString();
  return {
    batch: {
      ...init,
      status: "QUEUED",
      open: init.kind === "upload",
      stats: {},
      errorMessage: null,
      createdAt: at,
      updatedAt: at,
      startedAt: null,
      completedAt: null,
      deletedAt: null,
    },
    event: "batch.created",
  };
}

/** A batch accepts new items while it is open and has not ended. */
export function acceptsItems(b: BatchRecord): boolean {
  return b.open && !isBatchTerminal(b.status) && !b.deletedAt;
}

/** The first item let past QUEUED starts the batch. */
export function startBatch(b: BatchRecord, now: Date): BatchTransition | null {
  if (b.status !== "QUEUED") return null;
  const at = now.toISOString();
  return { batch: { ...b, status: "RUNNING", startedAt: at, updatedAt: at }, event: "batch.started" };
}

/** No more items will be added. Closing twice is fine; closing an ended batch changes nothing. */
export function closeBatch(b: BatchRecord, now: Date): BatchResult {
  if (b.deletedAt) return { ok: false, reason: "already_deleted" };
  if (!b.open) return { ok: true, batch: b, event: null };
  return { ok: true, batch: { ...b, open: false, updatedAt: now.toISOString() }, event: null };
}

/**
 * The outcome once nothing is left to do (DESIGN §13): COMPLETED when every item ended,
 * even if some failed; FAILED when every item failed. Null while items are unfinished or
 * more may come.
 */
export function settleBatch(b: BatchRecord, counts: BatchCounts, now: Date): BatchTransition | null {
  if (isBatchTerminal(b.status) || b.open) return null;
  if (counts.queued + counts.running > 0) return null;
  const at = now.toISOString();
  const allFailed = counts.total > 0 && counts.failed === counts.total;
  const status: BatchStatus = allFailed ? "FAILED" : "COMPLETED";
  return {
    batch: {
      ...b,
      status,
      errorMessage: allFailed ? `Every item failed (${counts.failed} of ${counts.total})` : null,
      startedAt: b.startedAt ?? at,
      completedAt: at,
      updatedAt: at,
    },
    event: allFailed ? "batch.failed" : "batch.completed",
  };
}

/** The batch itself cannot go on (its source refused it or stayed unreachable). */
export function failBatch(b: BatchRecord, message: string, now: Date): BatchTransition | null {
  if (isBatchTerminal(b.status)) return null;
  const at = now.toISOString();
  return { batch: { ...b, status: "FAILED", open: false, errorMessage: message, completedAt: at, updatedAt: at }, event: "batch.failed" };
}

/** The batch stopped moving and nudging it did not help (src/batches/batch-nudge.ts): FAILED `STALLED`, closed. */
export function stallBatch(b: BatchRecord, message: string, now: Date): BatchTransition | null {
  const failed = failBatch(b, message, now);
  return failed && { ...failed, batch: { ...failed.batch, errorCode: "STALLED" } };
}

/** QUEUED | RUNNING → CANCELLED, closed for good. */
export function cancelBatch(b: BatchRecord, now: Date): BatchResult {
  if (b.deletedAt) return { ok: false, reason: "already_deleted" };
  if (isBatchTerminal(b.status)) return { ok: false, reason: "not_cancellable", status: b.status };
  const at = now.toISOString();
  return { ok: true, batch: { ...b, status: "CANCELLED", open: false, completedAt: at, updatedAt: at }, event: "batch.cancelled" };
}

/**
 * Retrying re-runs the failed items a retry can mend (`retryable` of them, see
 * `itemRetryable`) and the batch runs until they end; refused when there is none, or the
 * batch was cancelled. Allowed while other items still run.
 */
export function retryBatch(b: BatchRecord, failed: number, retryable: number, now: Date): BatchResult {
  if (b.deletedAt) return { ok: false, reason: "already_deleted" };
  if (b.status === "CANCELLED" || retryable === 0) {
    const detail =
      b.status === "CANCELLED"
        ? "A cancelled batch cannot be retried: create a new batch"
        : failed === 0
          ? `Batch has no failed items to retry. Current status: ${b.status}`
          : `None of the batch's ${failed} failed items can be mended by a retry (a corrupt, encrypted, empty or oversized file fails the same way again): GET its items?status=FAILED for why, and upload fixed copies`;
    return { ok: false, reason: "not_retryable", status: b.status, detail };
  }
  const at = now.toISOString();
  const wasTerminal = isBatchTerminal(b.status);
  return {
    ok: true,
    batch: { ...b, status: "RUNNING", errorMessage: null, errorCode: null, completedAt: null, updatedAt: at, startedAt: b.startedAt ?? at },
    event: wasTerminal ? "batch.started" : null,
  };
}

/** Codes of a failure before the item had a job (its source could not be fetched) that may not happen again. */
const RETRYABLE_SOURCE_CODES = new Set(["FETCH_FAILED", "TIMEOUT"]);

/**
 * Whether a batch retry re-runs a failed item: one with a job when the job's own retry
 * would take it (DESIGN §16, `isRetryableCode`), one without when fetching its source
 * again may succeed (a network failure, an HTTP error, a timeout).
 */
export function itemRetryable(item: { hasJob: boolean; error: Pick<BatchError, "code"> | null }): boolean {
  const code = item.error?.code ?? "";
  // STALLED on an item: its start never finished when its batch stopped moving; starting it again may.
  if (code === "STALLED") return true;
  return item.hasJob ? isRetryableCode(code) : RETRYABLE_SOURCE_CODES.has(code);
}

/** Soft delete of a finished batch; its items and documents stay. */
export function deleteBatch(b: BatchRecord, now: Date): BatchResult {
  if (b.deletedAt) return { ok: false, reason: "already_deleted" };
  if (!isBatchTerminal(b.status)) return { ok: false, reason: "not_deletable", status: b.status };
  const at = now.toISOString();
  return { ok: true, batch: { ...b, deletedAt: at, updatedAt: at }, event: null };
}

/** A job's terminal status as the end of its item. */
export function itemEndOf(jobStatus: string): ItemEnd | null {
  switch (jobStatus) {
    case "COMPLETED":
    case "FAILED":
    case "CANCELLED":
      return jobStatus;
    default:
      return null;
  }
}
