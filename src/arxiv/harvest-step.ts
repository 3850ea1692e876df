/**
 * One step of a harvest, for the batch object that runs it (DESIGN §14): ask the gate
 * for the page at the cursor, read it, move the cursor, record the page's papers in D1,
 * and say which papers need their PDF. The batch checkpoints the returned state after
 * each step (plain JSON) and calls again (at once, or at `retryAt`) until `done`.
 *
 * The batch's side of the contract:
 * - `caller` is the batch id: the gate serves harvests round-robin by it, and
 *   `cancelHarvest(env, batchId)` drops its queued requests at once.
 * - A step is safe to repeat after an eviction: the page is read again from the same
 *   cursor, and `recordPage` counts a paper it already recorded as `unchanged`, so
 *   nothing is created twice. The batch should add the step's items and its new state
 *   in one storage transaction; then a repeated step never happens for a committed page.
 */
import type { Env } from "../env";
import { ArxivApiError, ArxivFeedMalformed, type ArxivEntry, parseFeed } from "./feed";
import type { GateResult, PageResponse, StoredPdf } from "./gate";
import { advance, type HarvestCursor, type HarvestRequest, initialCursor, missingIds, type PageOutcome, pageUrl } from "./harvest";
import { loadArxivConfig } from "./config";
import { parseArxivId } from "./ids";
import { projectDb } from "../db/shards";
import { recordPage, setPaperDocument } from "./papers";
import { deleteDocumentOutputs } from "../documents/document-store";
import { sourceKey } from "../storage-keys";
import type { HarvestStats } from "../contract/batch";

export interface HarvestState {
  request: HarvestRequest & { processPdfs: boolean };
  cursor: HarvestCursor;
  /** The counters; `canonical_query` is kept in the cursor (`BatchHarvest.stats` adds it). */
  stats: HarvestStats;
  /** Versioned ids received so far, kept for an `idList` harvest only (to report missing ids). */
  seen: string[];
}

/** A paper whose PDF is to be downloaded and processed as an item. */
export interface PaperItem {
  paperId: string;
  version: number;
  /** `2104.12255v2`: the item's source reference and its job's `sourceId`. */
  versionedId: string;
  title: string;
  /** The abstract page: the job's `sourcePath` and its document's `sourceUrl`. */
  absUrl: string;
  /** The document of the version this one replaces, to delete once the new one completes. */
  previousDocumentId: string | null;
}

export type StepResult =
  /** A page was read (or retried): commit `state`, add `items`; call again at once unless `state.cursor.done`. */
  | { kind: "page"; state: HarvestState; items: PaperItem[]; missing: string[] }
  /** arXiv asked to wait (or the gate is busy): commit `state`, call again at `retryAt`. */
  | { kind: "wait"; state: HarvestState; retryAt: number }
  | { kind: "cancelled" };

export function newHarvest(request: HarvestState["request"]): HarvestState {
  const stats: HarvestStats = { papers_fetched: 0, papers_created: 0, papers_updated: 0, papers_unchanged: 0, pdfs_downloaded: 0, pdfs_processed: 0, pages: 0 };
  return { request, cursor: initialCursor(), stats, seen: [] };
}

function gate(env: Env) {
  return env.ARXIV_GATE.getByName("arxiv");
}

/** Drops the batch's queued requests at the gate (none of them goes out). */
export function cancelHarvest(env: Env, batchId: string): Promise<number> {
  return gate(env).cancel(batchId);
}

/** One page of the harvest; see the module comment. */
export async function harvestStep(env: Env, batchId: string, projectId: string, state: HarvestState): Promise<StepResult> {
  if (state.cursor.done) return { kind: "page", state, items: [], missing: [] };
  const config = loadArxivConfig(env);
  const url = pageUrl(config.apiUrl, state.request, state.cursor);
  const result = (await gate(env).fetchPage({ callerId: batchId, url })) as GateResult<PageResponse>;
  if (result.kind === "cancelled") return { kind: "cancelled" };
  if (result.kind === "retry") {
    const next = advance(state.request, state.cursor, { kind: "transient", message: result.reason });
    return next.cursor.done
      ? { kind: "page", state: { ...state, cursor: next.cursor }, items: [], missing: [] }
      : { kind: "wait", state: { ...state, cursor: next.cursor }, retryAt: result.retryAt };
  }
  const { outcome, entries } = result.kind === "failed" ? { outcome: refused(result.message), entries: [] } : readPage(result.value);
  const next = advance(state.request, state.cursor, outcome);
  const taken = entries.slice(0, next.take);
  const outcomes = await recordPage(projectDb(env, projectId), projectId, taken);
  // A page counts once it is done with (an empty page asked again is not another page).
  const pages = state.stats.pages + next.cursor.pagesDone - state.cursor.pagesDone;
  const stats = { ...state.stats, pages, papers_fetched: state.stats.papers_fetched + taken.length };
  const items: PaperItem[] = [];
  taken.forEach((entry, i) => {
    const o = outcomes[i]!;
    if (o.change === "created") stats.papers_created++;
    else if (o.change === "updated") stats.papers_updated++;
    else stats.papers_unchanged++;
    if (o.needsDownload && state.request.processPdfs && !items.some((it) => it.paperId === entry.paperId)) {
      items.push({
        paperId: entry.paperId,
        version: entry.version,
        versionedId: entry.versionedId,
        title: entry.title,
        absUrl: entry.absUrl,
        previousDocumentId: o.documentId,
      });
    }
  });
  const idList = state.request.idList ?? [];
  const seen = idList.length ? [...new Set([...state.seen, ...taken.map((e) => e.versionedId)])] : [];
  const nextState: HarvestState = { ...state, cursor: next.cursor, stats, seen };
  // Missing ids are known once an id-list harvest has read everything arXiv had.
  const missing =
    next.cursor.done && !next.cursor.error && idList.length && !state.request.query
      ? missingIds(
          idList,
          seen.map((versionedId) => ({ paperId: parseArxivId(versionedId)?.paperId ?? versionedId, versionedId })),
        )
      : [];
  return { kind: "page", state: nextState, items, missing };
}

/** What a page's answer means for the cursor, and its entries. */
function readPage(page: PageResponse): { outcome: PageOutcome; entries: ArxivEntry[] } {
  try {
    const feed = parseFeed(page.body);
    if (page.status >= 400) return { outcome: refused(`arXiv answered HTTP ${page.status}`), entries: [] };
    return { outcome: { kind: "feed", totalResults: feed.totalResults, entries: feed.entries.length, title: feed.title }, entries: feed.entries };
  } catch (err) {
    if (err instanceof ArxivApiError) return { outcome: refused(err.message), entries: [] };
    if (err instanceof ArxivFeedMalformed && page.status < 400) return { outcome: { kind: "transient", message: err.message }, entries: [] };
    return { outcome: refused(`arXiv answered HTTP ${page.status}`), entries: [] };
  }
}

function refused(message: string): PageOutcome {
  return { kind: "refused", message };
}

/**
 * After an item's job completed: points its paper at the new document (unless a newer
 * version's got there first), deletes the document of the version it replaces, and
 * removes the PDF from R2 (arXiv's terms: link back, do not re-serve e-prints). Idempotent.
 */
export async function linkPaperDocument(env: Env, projectId: string, itemId: string, paper: PaperItem, documentId: string | null): Promise<void> {
  const db = projectDb(env, projectId);
  if (documentId) {
    const { replaced } = await setPaperDocument(db, projectId, paper.paperId, paper.version, documentId);
    if (replaced) await deleteDocumentOutputs(env.BUCKET, db, projectId, replaced);
  }
  await env.BUCKET.delete(sourceKey({ projectId, id: itemId }));
}

/** How an item's PDF download ended. */
export type PdfStep =
  | { kind: "stored"; key: string; bytes: number }
  | { kind: "wait"; retryAt: number }
  | { kind: "failed"; code: "NOT_FOUND" | "UNSUPPORTED_TYPE" | "LIMIT_EXCEEDED" | "FETCH_FAILED"; message: string }
  | { kind: "cancelled" };

/** Downloads `versionedId`'s PDF through the gate into R2 at `key` (the item's source key). */
export async function downloadPaperPdf(env: Env, batchId: string, versionedId: string, key: string): Promise<PdfStep> {
  const result = (await gate(env).fetchPdf({ callerId: batchId, arxivId: versionedId, key })) as GateResult<StoredPdf>;
  switch (result.kind) {
    case "done":
      return { kind: "stored", key: result.value.key, bytes: result.value.bytes };
    case "retry":
      return { kind: "wait", retryAt: result.retryAt };
    case "cancelled":
      return { kind: "cancelled" };
    case "failed": {
      const code =
        result.code === "not_found"
          ? "NOT_FOUND"
          : result.code === "too_large"
            ? "LIMIT_EXCEEDED"
            : result.code === "not_pdf" || result.code === "empty"
              ? "UNSUPPORTED_TYPE"
              : "FETCH_FAILED";
      return { kind: "failed", code, message: result.message };
    }
  }
}
