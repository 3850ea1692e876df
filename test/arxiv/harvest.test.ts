import { describe, expect, it } from "vitest";
import {
  advance,
  type HarvestCursor,
  type HarvestRequest,
  initialCursor,
  MAX_EMPTY_PAGE_TRIES,
  MAX_TRANSIENT_TRIES,
  missingIds,
  nextPageSize,
  type PageOutcome,
  pageUrl,
  searchQuery,
} from "../../src/arxiv/harvest";

const API = "https://export.arxiv.org/api/query";
const feed = (entries: number, totalResults: number, title = "arXiv Query: search_query=all:testing"): PageOutcome => ({
  kind: "feed",
  entries,
  totalResults,
  title,
});

/** Runs the cursor over a list of outcomes; returns the `start` of every request made. */
function run(request: HarvestRequest, outcomes: PageOutcome[]): { starts: number[]; cursor: HarvestCursor; taken: number } {
  let cursor = initialCursor();
  const starts: number[] = [];
  let taken = 0;
  for (const outcome of outcomes) {
    if (cursor.done) break;
    starts.push(cursor.start);
    const next = advance(request, cursor, outcome);
    cursor = next.cursor;
    taken += next.take;
  }
  return { starts, cursor, taken };
}

describe("harvest cursor: paging", () => {
  it("advances start by the entries received: 0, n, 2n for full pages, ending at maxResults", () => {
    const { starts, cursor, taken } = run({ query: "testing", maxResults: 250 }, [feed(100, 214881), feed(100, 214881), feed(100, 214881)]);
    expect(starts).toEqual([0, 100, 200]);
    expect(taken).toBe(250);
    expect(cursor).toMatchObject({ start: 250, pagesDone: 3, done: true, error: null });
  });

  it("never advances by the page size when fewer entries came back", () => {
    const { starts, cursor } = run({ query: "q", maxResults: 300 }, [feed(100, 1000), feed(37, 1000), feed(100, 1000), feed(63, 1000)]);
    expect(starts).toEqual([0, 100, 137, 237]);
    expect(cursor).toMatchObject({ start: 300, done: true });
  });

  it("asks for at most 100 entries per page and never past maxResults", () => {
    const request = { query: "q", maxResults: 130 };
    expect(nextPageSize(request, initialCursor())).toBe(100);
    expect(nextPageSize(request, { ...initialCursor(), start: 100 })).toBe(30);
  });

  it("stops at totalResults, and follows a total that changes between pages", () => {
    expect(run({ query: "q", maxResults: 2000 }, [feed(100, 150), feed(50, 150)]).cursor).toMatchObject({ start: 150, done: true });
    const shrunk = run({ query: "q", maxResults: 2000 }, [feed(100, 300), feed(100, 180), feed(80, 180)]);
    expect(shrunk.starts).toEqual([0, 100]);
    expect(shrunk.cursor).toMatchObject({ start: 200, total: 180, done: true });
    const grown = run({ query: "q", maxResults: 2000 }, [feed(100, 150), feed(100, 260), feed(60, 260)]);
    expect(grown.starts).toEqual([0, 100, 200]);
    expect(grown.cursor).toMatchObject({ start: 260, done: true });
  });

  it("ends at once on an empty result", () => {
    expect(run({ idList: ["0000.0000"], maxResults: 10 }, [feed(0, 0)]).cursor).toMatchObject({ start: 0, pagesDone: 1, done: true, error: null });
  });

  it("keeps only the entries within maxResults when a page brings more", () => {
    const { taken, cursor } = run({ query: "q", maxResults: 5 }, [feed(10, 100)]);
    expect(taken).toBe(5);
    expect(cursor).toMatchObject({ start: 5, done: true });
  });

  it("keeps the feed title as the canonical query", () => {
    expect(run({ query: "testing", maxResults: 10 }, [feed(10, 100, "arXiv Query: search_query=all:testing")]).cursor.canonicalQuery).toBe(
      "arXiv Query: search_query=all:testing",
    );
  });
});

describe("harvest cursor: empty pages and failures", () => {
  it("asks an empty page before the total again at the same start, then goes on when it is served", () => {
    const { starts, cursor } = run({ query: "q", maxResults: 300 }, [feed(100, 300), feed(0, 300), feed(0, 300), feed(100, 300), feed(100, 300)]);
    expect(starts).toEqual([0, 100, 100, 100, 200]);
    expect(cursor).toMatchObject({ start: 300, done: true, error: null, emptyTries: 0 });
  });

  it(`ends with an EMPTY_PAGES error (not fatal) after ${MAX_EMPTY_PAGE_TRIES} empty tries`, () => {
    const outcomes = [feed(100, 300), ...Array.from({ length: MAX_EMPTY_PAGE_TRIES + 2 }, () => feed(0, 300))];
    const { starts, cursor } = run({ query: "q", maxResults: 300 }, outcomes);
    expect(starts).toEqual([0, ...Array(MAX_EMPTY_PAGE_TRIES).fill(100)]);
    expect(cursor).toMatchObject({ start: 100, done: true, error: { code: "EMPTY_PAGES", fatal: false } });
    expect(cursor.error!.message).toContain("start 100 of 300");
  });

  it(`retries transient failures up to ${MAX_TRANSIENT_TRIES} tries, then fails the harvest`, () => {
    const recovered = run({ query: "q", maxResults: 200 }, [feed(100, 200), { kind: "transient", message: "HTTP 503" }, feed(100, 200)]);
    expect(recovered.starts).toEqual([0, 100, 100]);
    expect(recovered.cursor).toMatchObject({ start: 200, done: true, error: null, transientTries: 0 });
    const outcomes: PageOutcome[] = Array.from({ length: MAX_TRANSIENT_TRIES + 1 }, () => ({ kind: "transient", message: "HTTP 503" }));
    const failed = run({ query: "q", maxResults: 200 }, outcomes);
    expect(failed.starts).toHaveLength(MAX_TRANSIENT_TRIES);
    expect(failed.cursor).toMatchObject({ done: true, error: { code: "ARXIV_UNAVAILABLE", fatal: true } });
  });

  it("fails at once with arXiv's message when it refuses the request", () => {
    const { cursor } = run({ idList: ["abc"], maxResults: 10 }, [{ kind: "refused", message: "incorrect id format for abc" }, feed(1, 1)]);
    expect(cursor).toMatchObject({ done: true, pagesDone: 0, error: { code: "ARXIV_REFUSED", message: "incorrect id format for abc", fatal: true } });
  });

  it("ignores outcomes once done", () => {
    const done = { ...initialCursor(), done: true };
    expect(advance({ query: "q", maxResults: 10 }, done, feed(10, 10))).toEqual({ cursor: done, take: 0 });
  });
});

describe("pageUrl / searchQuery", () => {
  it("builds the query URL with start, max_results and a stable sort", () => {
    const url = new URL(pageUrl(API, { query: "cat:cs.IR AND ti:retrieval", maxResults: 250 }, { ...initialCursor(), start: 200 }));
    expect(url.origin + url.pathname).toBe(API);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      search_query: "cat:cs.IR AND ti:retrieval",
      id_list: "",
      start: "200",
      max_results: "50",
      sortBy: "submittedDate",
      sortOrder: "ascending",
    });
  });

  it("narrows the query to the submission dates, inclusive", () => {
    expect(searchQuery({ query: "cat:cs.IR", submittedFrom: "2024-01-01", submittedTo: "2024-12-31", maxResults: 1 })).toBe(
      "(cat:cs.IR) AND submittedDate:[202401010000 TO 202412312359]",
    );
    expect(searchQuery({ submittedFrom: "2024-01-01", maxResults: 1 })).toBe("submittedDate:[202401010000 TO 999912312359]");
    expect(() => searchQuery({ submittedTo: "31/12/2024", maxResults: 1 })).toThrow(RangeError);
  });

  it("sends an id list comma-separated, old-style ids as they are", () => {
    const url = new URL(pageUrl(API, { idList: ["2104.12255", "hep-ex/0406020v1"], maxResults: 2 }, initialCursor()));
    expect(url.searchParams.get("id_list")).toBe("2104.12255,hep-ex/0406020v1");
    expect(url.searchParams.get("search_query")).toBe("");
  });
});

describe("missingIds", () => {
  it("reports ids no entry answers; an unversioned id matches any version", () => {
    const received = [
      { paperId: "2104.12255", versionedId: "2104.12255v2" },
      { paperId: "hep-ex/0406020", versionedId: "hep-ex/0406020v1" },
    ];
    expect(missingIds(["2104.12255", "hep-ex/0406020v1", "0000.0000", "2104.12255v1"], received)).toEqual(["0000.0000", "2104.12255v1"]);
  });
});
