/**
 * The harvest cursor: which page of arXiv's query API to ask for next, given what the
 * earlier pages brought. Pure (no I/O, no clock), so the batch object checkpoints it as
 * plain JSON after every page and a restart goes on from the next page.
 *
 * Rules from arXiv's API and its users' experience:
 * - `start` advances by the entries actually received, never by the page size: arXiv
 *   sometimes answers a full-size request with fewer entries, or none (HTTP 200).
 * - An empty page before `totalResults` is reached is asked again, up to
 *   `MAX_EMPTY_PAGE_TRIES` times; then the harvest ends with what it has, recorded.
 * - `totalResults` may change between pages: the latest one is the one that counts.
 * - 5xx, 429, network failures and unreadable bodies are asked again (the gate honours
 *   `Retry-After` for every caller) up to `MAX_TRANSIENT_TRIES` times; an error feed or
 *   another 4xx is arXiv refusing the request: the harvest fails with its message.
 */

/** arXiv's cap on one page that this service asks for (its API allows up to 2000). */
export const PAGE_SIZE = 100;
export const MAX_EMPTY_PAGE_TRIES = 3;
export const MAX_TRANSIENT_TRIES = 5;

/** What to harvest: `query`, `idList` or both (arXiv returns the query's hits among the ids). */
export interface HarvestRequest {
  query?: string | null;
  idList?: string[] | null;
  /** `YYYY-MM-DD`, inclusive: the first day of submission. */
  submittedFrom?: string | null;
  /** `YYYY-MM-DD`, inclusive: the last day of submission. */
  submittedTo?: string | null;
  maxResults: number;
}

export interface HarvestCursor {
  /** Entries received so far: the next page's `start`. */
  start: number;
  pagesDone: number;
  /** The latest `opensearch:totalResults`; null before the first page. */
  total: number | null;
  /** The feed's `<title>` of the latest page: the query as arXiv rewrote it. */
  canonicalQuery: string | null;
  /** Tries of the page at `start` that came back empty. */
  emptyTries: number;
  /** Tries of the page at `start` that failed for a reason worth retrying. */
  transientTries: number;
  /** Set once the harvest has nothing more to ask for. */
  done: boolean;
  /** Why it ended early or failed; null when it ended by reaching its end. */
  error: HarvestError | null;
}

export interface HarvestError {
  code: "EMPTY_PAGES" | "ARXIV_UNAVAILABLE" | "ARXIV_REFUSED";
  message: string;
  /** True when the batch itself fails (arXiv refused or stayed unreachable). */
  fatal: boolean;
}

/** What one page request brought. */
export type PageOutcome =
  | { kind: "feed"; totalResults: number; entries: number; title: string }
  /** 5xx, 429, a network failure, or a body that is not a feed. */
  | { kind: "transient"; message: string }
  /** An error feed or another 4xx: arXiv's own message. */
  | { kind: "refused"; message: string };

export interface Advance {
  cursor: HarvestCursor;
  /** How many of the page's entries belong to the harvest (the rest pass `maxResults`). */
  take: number;
}

export function initialCursor(): HarvestCursor {
  return { start: 0, pagesDone: 0, total: null, canonicalQuery: null, emptyTries: 0, transientTries: 0, done: false, error: null };
}

/** Entries the next page asks for: at most `PAGE_SIZE`, and never past `maxResults`. */
export function nextPageSize(request: HarvestRequest, cursor: HarvestCursor): number {
  return Math.max(0, Math.min(PAGE_SIZE, request.maxResults - cursor.start));
}

/** The cursor after a page's outcome. */
export function advance(request: HarvestRequest, cursor: HarvestCursor, outcome: PageOutcome): Advance {
  if (cursor.done) return { cursor, take: 0 };
  if (outcome.kind === "refused") {
    return { cursor: { ...cursor, done: true, error: { code: "ARXIV_REFUSED", message: outcome.message, fatal: true } }, take: 0 };
  }
  if (outcome.kind === "transient") {
    const tries = cursor.transientTries + 1;
    if (tries < MAX_TRANSIENT_TRIES) return { cursor: { ...cursor, transientTries: tries }, take: 0 };
    const message = `arXiv stayed unavailable after ${tries} tries of the page at start ${cursor.start}: ${outcome.message}`;
    return { cursor: { ...cursor, transientTries: tries, done: true, error: { code: "ARXIV_UNAVAILABLE", message, fatal: true } }, take: 0 };
  }
  const total = outcome.totalResults;
  const base = { ...cursor, total, canonicalQuery: outcome.title || cursor.canonicalQuery, transientTries: 0 };
  const goal = Math.min(request.maxResults, total);
  if (outcome.entries === 0) {
    if (cursor.start >= goal) return { cursor: { ...base, emptyTries: 0, pagesDone: cursor.pagesDone + 1, done: true }, take: 0 };
    const tries = cursor.emptyTries + 1;
    if (tries < MAX_EMPTY_PAGE_TRIES) return { cursor: { ...base, emptyTries: tries }, take: 0 };
    const message = `arXiv returned ${tries} empty pages at start ${cursor.start} of ${total} results; the harvest ends with ${cursor.start}`;
    return { cursor: { ...base, emptyTries: tries, done: true, error: { code: "EMPTY_PAGES", message, fatal: false } }, take: 0 };
  }
  const take = Math.min(outcome.entries, Math.max(0, request.maxResults - cursor.start));
  const start = cursor.start + take;
  const done = start >= request.maxResults || start >= total;
  return { cursor: { ...base, start, emptyTries: 0, pagesDone: cursor.pagesDone + 1, done }, take };
}

/** `search_query`: the query, narrowed to the submission dates when given. */
export function searchQuery(request: HarvestRequest): string {
  const parts: string[] = [];
  if (request.query?.trim()) parts.push(request.query.trim());
  if (request.submittedFrom || request.submittedTo) {
    const from = request.submittedFrom ? `${compactDate(request.submittedFrom)}0000` : "000001010000";
    const to = request.submittedTo ? `${compactDate(request.submittedTo)}2359` : "999912312359";
    parts.push(`submittedDate:[${from} TO ${to}]`);
  }
  return parts.length > 1 ? parts.map((p, i) => (i === 0 ? `(${p})` : p)).join(" AND ") : (parts[0] ?? "");
}

/**
 * The URL of the page at the cursor. Sorted by submission date, oldest first, so papers
 * submitted during a harvest land after the pages already read rather than shifting them.
 */
export function pageUrl(apiUrl: string, request: HarvestRequest, cursor: HarvestCursor): string {
  const url = new URL(apiUrl);
  const params = new URLSearchParams();
  params.set("search_query", searchQuery(request));
  params.set("id_list", (request.idList ?? []).join(","));
  params.set("start", String(cursor.start));
  params.set("max_results", String(nextPageSize(request, cursor)));
  params.set("sortBy", "submittedDate");
  params.set("sortOrder", "ascending");
  url.search = params.toString();
  return url.toString();
}

/**
 * Ids of an `idList` that no received entry answers: an id with a version needs that
 * version, one without matches any version of the paper.
 */
export function missingIds(idList: readonly string[], received: readonly { paperId: string; versionedId: string }[]): string[] {
  const papers = new Set(received.map((e) => e.paperId));
  const versions = new Set(received.map((e) => e.versionedId));
  return idList.filter((id) => !versions.has(id) && !papers.has(id));
}

function compactDate(date: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`"${date}" is not a YYYY-MM-DD date`);
  return date.replaceAll("-", "");
}
