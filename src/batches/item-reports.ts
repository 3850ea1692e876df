/**
 * What a batch does with its items' reports (DESIGN §13). Items are ordinary jobs carrying
 * `batchId`; each job reports its creation and its end to the batch at least once
 * (src/jobs/batch-link.ts). The item's state moves once per (job, end), so a repeated
 * report changes nothing and the counts, read from the items' states, always add up.
 */
import type { BatchHarvest } from "../arxiv/batch-harvest";
import type { ItemReport, ItemReportReply } from "../jobs/batch-link";
import type { BatchStore } from "./batch-store";
import type { BatchWorkKind } from "./ingest-batch";
import { acceptsItems, type BatchTransition, itemEndOf, retryBatch } from "./lifecycle";

/** What recording a report needs of the batch's object. */
export interface ItemReportHost {
  store: BatchStore;
  harvest: Pick<BatchHarvest, "completed">;
  maxItems: () => number;
  commit: (t: BatchTransition) => void;
  /** An item ended: the outcome once nothing is left, progress otherwise. */
  itemEnded: () => void;
  /** Puts `kind` on the schedule `delayMs` from now. */
  schedule: (kind: BatchWorkKind, delayMs: number) => void;
  /** A held job reported it waits: true when its item takes a free slot now, so the job starts itself (src/batches/dispatch.ts). */
  startOnReport: (jobId: string) => boolean;
  /** True when the dispatch has something to do: queued items and a free slot, or starts left pending. */
  dispatchDue: () => boolean;
}

/**
 * Records where a job of the batch is (created, or ended). A job the batch does not know
 * joins it while it is open and not full; a held job that finds a free slot is told to
 * start (`start: true`), so no `admit` request follows. Synchronous: the caller arms the
 * alarm for the work it makes due.
 */
export function recordItemReport(host: ItemReportHost, report: ItemReport): ItemReportReply {
  const { store } = host;
  const batch = store.batch();
  if (!batch || batch.projectId !== report.projectId) return { accepted: false, reason: "No such batch in this project" };
  const now = new Date().toISOString();
  const known = store.item(report.jobId);
  if (!known) {
    if (!acceptsItems(batch)) return { accepted: false, reason: `Batch ${batch.id} takes no more items (${batch.open ? batch.status : "closed"})` };
    const maxItems = host.maxItems();
    if (store.itemCount() >= maxItems) return { accepted: false, reason: `Batch ${batch.id} is full (${maxItems} items)` };
    store.addItem({ id: report.jobId, ref: report.sourcePath, state: "QUEUED", hasJob: true }, now);
  }
  const job = { status: report.status, stage: report.stage, progress: report.progress };
  let start = false;
  const end = itemEndOf(report.status);
  if (end) {
    const error = report.error ? { ...report.error, item: report.jobId } : null;
    if (store.endItem(report.jobId, end, error, job, now)) {
      if (end === "COMPLETED" && host.harvest.completed(report.jobId)) host.schedule("papers", 0);
      host.itemEnded();
    }
  } else if (known?.state === "FAILED" && batch.status !== "CANCELLED" && store.restart(report.jobId, job, now)) {
    // Its job was retried on its own (`POST /jobs/{id}/retry`): it runs again, counted so,
    // and a batch that had ended runs again until it ends, as after a batch retry.
    const reopened = retryBatch(batch, 1, 1, new Date());
    if (reopened.ok && reopened.event) host.commit(reopened);
  } else {
    store.noteJob(report.jobId, job);
    start = report.status === "QUEUED" && host.startOnReport(report.jobId);
  }
  if (batch.status !== "CANCELLED" && host.dispatchDue()) host.schedule("dispatch", 0);
  return start ? { accepted: true, start } : { accepted: true };
}
