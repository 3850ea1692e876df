import { describe, expect, it } from "vitest";
import { ArxivApiError, ArxivFeedMalformed, parseFeed } from "../../src/arxiv/feed";
import { olderFormat, queryPages, recorded } from "./fixtures";

describe("parseFeed (recorded arXiv responses)", () => {
  it("reads a page of a query: counts, canonical query, ten entries", () => {
    const feed = parseFeed(recorded.page0.body);
    expect(feed).toMatchObject({ totalResults: 214881, startIndex: 0, itemsPerPage: 10 });
    expect(feed.title).toBe("arXiv Query: search_query=all:testing&id_list=&start=0&max_results=10");
    expect(feed.entries).toHaveLength(10);
  });

  it("reads every field of an entry", () => {
    const first = parseFeed(recorded.page0.body).entries[0]!;
    expect(first).toEqual({
      paperId: "2202.12139",
      version: 1,
      versionedId: "2202.12139v1",
      title: "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques",
      summary: expect.stringMatching(/^Deep Learning \(DL\) has revolutionized .* discuss its results\.$/),
      authors: ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"],
      categories: ["cs.SE", "cs.LG"],
      primaryCategory: "cs.SE",
      doi: "10.1109/ICSTW55395.2022.00035",
      journalRef:
        "Artificial Intelligence in Software Testing @ 2022 IEEE International Conference on Software Testing, Verification and Validation Workshops (ICSTW)",
      comment: "Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022",
      published: "2022-02-24T15:05:19Z",
      updated: "2022-02-24T15:05:19Z",
      pdfUrl: "https://arxiv.org/pdf/2202.12139v1",
      absUrl: "https://arxiv.org/abs/2202.12139v1",
    });
  });

  it("reads all three recorded pages: their start indexes and 30 distinct papers with versions", () => {
    const feeds = queryPages.map((p) => parseFeed(p.body));
    expect(feeds.map((f) => f.startIndex)).toEqual([0, 10, 20]);
    const ids = feeds.flatMap((f) => f.entries.map((e) => e.versionedId));
    expect(new Set(ids).size).toBe(30);
    expect(ids).toContain("2409.05654v9");
    for (const entry of feeds.flatMap((f) => f.entries)) {
      expect(entry.title).not.toMatch(/\s{2}|\n/);
      expect(entry.summary).not.toMatch(/\s{2}|\n/);
      expect(entry.authors.length).toBeGreaterThan(0);
      expect(entry.categories).toContain(entry.primaryCategory);
      expect(entry.pdfUrl).toBe(`https://arxiv.org/pdf/${entry.versionedId}`);
      expect(entry.absUrl).toBe(`https://arxiv.org/abs/${entry.versionedId}`);
    }
  });

  it("leaves absent optional fields null", () => {
    const [paper] = parseFeed(recorded.onePaper.body).entries;
    expect(paper).toMatchObject({ paperId: "2104.12255", version: 1, title: "0", doi: null, journalRef: null, comment: null, primaryCategory: "cs.CR" });
  });

  it("reads an empty result as a feed with no entries", () => {
    const feed = parseFeed(recorded.emptyResult.body);
    expect(feed).toMatchObject({ totalResults: 0, startIndex: 0, itemsPerPage: 100, entries: [] });
  });

  it("throws ArxivApiError with arXiv's own message for an error feed", () => {
    expect(recorded.errorFeed.status_code).toBe(400);
    expect(() => parseFeed(recorded.errorFeed.body)).toThrow(new ArxivApiError("incorrect id format for abc"));
  });

  it("does not mistake a paper titled Error for an error feed", () => {
    const body = recorded.onePaper.body.replace("<title>0</title>", "<title>Error</title>");
    expect(parseFeed(body).entries[0]!.title).toBe("Error");
  });

  it("throws ArxivFeedMalformed for an HTML page, a truncated feed and a feed with an unversioned entry id", () => {
    expect(() => parseFeed("<!DOCTYPE html><html><body>Service Unavailable</body></html>")).toThrow(ArxivFeedMalformed);
    expect(() => parseFeed(recorded.page0.body.slice(0, 2000))).toThrow(ArxivFeedMalformed);
    const unversioned = recorded.onePaper.body.replace("abs/2104.12255v1</id>", "abs/2104.12255</id>");
    expect(() => parseFeed(unversioned)).toThrow(/not an arXiv abstract URL with a version/);
  });
});

describe("parseFeed (older format: namespaces declared on each element, elements reordered)", () => {
  it("reads every recorded feed exactly as its current-format original", () => {
    for (const page of [...queryPages, recorded.onePaper, recorded.emptyResult]) {
      const old = olderFormat(page.body);
      expect(old).toMatch(/<os:totalResults xmlns:os=/);
      expect(old).not.toMatch(/<feed[^>]*xmlns:opensearch/);
      expect(parseFeed(old)).toEqual(parseFeed(page.body));
    }
  });

  it("reads the older error feed as an ArxivApiError", () => {
    expect(() => parseFeed(olderFormat(recorded.errorFeed.body))).toThrow(new ArxivApiError("incorrect id format for abc"));
  });

  it("splits old-style ids whose archive contains a v", () => {
    const body = recorded.onePaper.body.replaceAll("2104.12255v1", "solv-int/9901001v3");
    for (const xml of [body, olderFormat(body)]) {
      const [entry] = parseFeed(xml).entries;
      expect(entry).toMatchObject({ paperId: "solv-int/9901001", version: 3, versionedId: "solv-int/9901001v3" });
    }
  });

  it("ignores elements of other namespaces that share a local name", () => {
    const body = recorded.onePaper.body.replace("<summary>", '<x:title xmlns:x="urn:other">Not the title</x:title><summary>');
    expect(parseFeed(body).entries[0]!.title).toBe("0");
  });
});
