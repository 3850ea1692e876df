/**
 * `client.arxiv`: arXiv harvests (DESIGN §14). A harvest is a batch of kind `arxiv`, so
 * `client.batches` reads, follows, cancels and retries it; this adds what is arXiv's own:
 * starting one, its counters, the seed's status shape and the gate's wait.
 */
import type { Batches, CreateBatchOptions } from "./batches";
import type { JobsHost } from "./jobs";
import type { components } from "./generated/openapi";
import type { Batch } from "./types";

type Schemas = components["schemas"];

/** What to harvest: `query`, `idList` or both (as arXiv combines them), and how. */
export type HarvestRequest = Omit<Extract<Schemas["CreateBatch"], { kind: "arxiv" }>, "kind">;
/** A harvest in the seed's status shape (`GET /api/v1/ingestion/job/{id}`). */
export type SeedJob = Schemas["CompatJob"];
/** When the service's one arXiv gate may send its next request, over every harvest. */
export type ArxivGateStatus = Schemas["ArxivGateStatus"];

/** A harvest's counters (its batch's `stats`). */
export type HarvestStats = Schemas["HarvestStats"];

export const HARVEST_COUNTERS = [
  "papers_fetched",
  "papers_created",
  "papers_updated",
  "papers_unchanged",
  "pdfs_downloaded",
  "pdfs_processed",
  "pages",
] as const;

/** The counters of an arxiv batch's `stats` (0 for any not reported yet). */
export function harvestStats(batch: Pick<Batch, "stats">): HarvestStats {
  const stats = Object.fromEntries(HARVEST_COUNTERS.map((k) => [k, typeof batch.stats[k] === "number" ? batch.stats[k] : 0])) as Omit<
    HarvestStats,
    "canonical_query"
  >;
  const canonical = batch.stats.canonical_query;
  return typeof canonical === "string" ? { ...stats, canonical_query: canonical } : stats;
}

/**
 * The query arXiv ran, from a harvest's `canonical_query` (the feed's `<title>`): the
 * `search_query` of a title in the form `arXiv Query: search_query=…&id_list=…`, else
 * the title as it is; null before the first page.
 */
export function ranQuery(stats: Pick<HarvestStats, "canonical_query">): string | null {
  const title = stats.canonical_query;
  if (!title) return null;
  const m = /^arXiv Query: search_query=(.*?)&id_list=/.exec(title);
  return m ? m[1]! : title;
}

const enc = encodeURIComponent;

export class Arxiv {
  constructor(
    private readonly host: JobsHost,
    private readonly batches: Batches,
  ) {}

  /**
   * Starts a harvest: a batch of kind `arxiv`, returned as created (QUEUED, open until its
   * last page). Follow it with `batches.events`/`batches.wait`, list its papers with
   * `batches.items` (each item's `title` and `sourceUrl`, the abstract page).
   */
  harvest(request: HarvestRequest, opts: CreateBatchOptions = {}): Promise<Batch> {
    const { options, ...fields } = request;
    return this.batches.create({ kind: "arxiv", ...fields, options: options ?? opts.options }, opts);
  }

  /** The harvest in the seed's shape: `progress.papers_fetched`, `papers_created`, … and `status` in lower case. */
  get(batchId: string, opts: { signal?: AbortSignal } = {}): Promise<SeedJob> {
    return this.host.transport.json<SeedJob>({ method: "GET", path: `/api/v1/ingestion/job/${enc(batchId)}`, retry: true, signal: opts.signal });
  }

  /** The gate's wait: what a client shows as "next arXiv request in 2.1 s". */
  gate(opts: { signal?: AbortSignal } = {}): Promise<ArxivGateStatus> {
    return this.host.transport.json<ArxivGateStatus>({ method: "GET", path: "/api/v1/ingestion/arxiv/gate", retry: true, signal: opts.signal });
  }
}
