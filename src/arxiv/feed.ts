/**
 * The Atom feed of arXiv's query API (https://info.arxiv.org/help/api/user-manual.html),
 * parsed into plain values. Pure: text in, a feed or a typed error out.
 *
 * Elements are found by namespace URI and local name among an element's children,
 * never by prefix or position: current responses declare every namespace on the root,
 * older ones declare `opensearch:` and `arxiv:` on each element and order them
 * differently, and both must read the same. `@xmldom/xmldom` gives a namespace-aware
 * DOM in pure JavaScript (workerd has no DOMParser); the feeds are at most 100 entries.
 */
import { DOMParser, type Element } from "@xmldom/xmldom";
import { parseEntryId, versionedId } from "./ids";

export const ATOM_NS = "http://www.w3.org/2005/Atom";
export const ARXIV_NS = "http://arxiv.org/schemas/atom";
export const OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/";

/** One version of one paper, as a feed entry describes it. */
export interface ArxivEntry {
  /** The paper without version: `2104.12255`, `solv-int/9901001`. */
  paperId: string;
  version: number;
  /** `2104.12255v1`. */
  versionedId: string;
  title: string;
  summary: string;
  authors: string[];
  categories: string[];
  primaryCategory: string | null;
  doi: string | null;
  journalRef: string | null;
  comment: string | null;
  /** ISO-8601, as arXiv gives it: the first version's date. */
  published: string;
  /** ISO-8601: this version's date. */
  updated: string;
  /** The PDF of this version (`<link title="pdf">`), when the entry has one. */
  pdfUrl: string | null;
  /** The abstract page of this version: the link back that arXiv's terms ask for. */
  absUrl: string;
}

export interface ArxivFeed {
  /** The feed's `<title>`: the query as arXiv understood it (it rewrites loose ones). */
  title: string;
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  entries: ArxivEntry[];
}

/** arXiv refused the request: its error feed (one entry titled `Error`) and its message. */
export class ArxivApiError extends Error {
  override name = "ArxivApiError";
}

/** The body is not an arXiv Atom feed (an HTML error page, a truncated body). */
export class ArxivFeedMalformed extends Error {
  override name = "ArxivFeedMalformed";
}

/** Parses one response body; throws `ArxivApiError` or `ArxivFeedMalformed`. */
export function parseFeed(xml: string): ArxivFeed {
  const feed = parseRoot(xml);
  const entryElements = childElements(feed, ATOM_NS, "entry");
  const apiError = errorMessage(entryElements);
  if (apiError !== null) throw new ArxivApiError(apiError);
  return {
    title: normalise(text(feed, ATOM_NS, "title") ?? ""),
    totalResults: count(feed, "totalResults"),
    startIndex: count(feed, "startIndex"),
    itemsPerPage: count(feed, "itemsPerPage"),
    entries: entryElements.map(parseEntry),
  };
}

function parseRoot(xml: string): Element {
  let root: Element | null;
  try {
    const doc = new DOMParser({
      // Warnings (a stray character) leave a usable tree; real errors do not.
      onError: (level, message) => {
        if (level !== "warning") throw new ArxivFeedMalformed(`not an XML feed: ${message}`);
      },
    }).parseFromString(xml, "text/xml");
    root = doc.documentElement;
  } catch (err) {
    if (err instanceof ArxivFeedMalformed) throw err;
    throw new ArxivFeedMalformed(`not an XML feed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!root || root.namespaceURI !== ATOM_NS || root.localName !== "feed") {
    throw new ArxivFeedMalformed("not an Atom feed: the root element is not an Atom <feed>");
  }
  return root;
}

/** The message of an error feed, or null for a feed of papers. */
function errorMessage(entries: Element[]): string | null {
  if (entries.length !== 1) return null;
  const entry = entries[0]!;
  const id = text(entry, ATOM_NS, "id") ?? "";
  if (normalise(text(entry, ATOM_NS, "title") ?? "") !== "Error" || !/\/api\/errors\b/.test(id)) return null;
  return normalise(text(entry, ATOM_NS, "summary") ?? "") || "arXiv returned an error feed without a message";
}

function parseEntry(entry: Element): ArxivEntry {
  const idUrl = (text(entry, ATOM_NS, "id") ?? "").trim();
  const id = parseEntryId(idUrl);
  if (!id) throw new ArxivFeedMalformed(`entry id "${idUrl}" is not an arXiv abstract URL with a version`);
  const links = childElements(entry, ATOM_NS, "link");
  const pdf = links.find((l) => l.getAttribute("title") === "pdf");
  const abs = links.find((l) => l.getAttribute("rel") === "alternate" && (l.getAttribute("type") ?? "text/html") === "text/html");
  const vid = versionedId(id.paperId, id.version);
  return {
    paperId: id.paperId,
    version: id.version,
    versionedId: vid,
    title: normalise(text(entry, ATOM_NS, "title") ?? ""),
    summary: normalise(text(entry, ATOM_NS, "summary") ?? ""),
    authors: childElements(entry, ATOM_NS, "author")
      .map((a) => normalise(text(a, ATOM_NS, "name") ?? ""))
      .filter(Boolean),
    categories: childElements(entry, ATOM_NS, "category")
      .map((c) => c.getAttribute("term") ?? "")
      .filter(Boolean),
    primaryCategory: childElements(entry, ARXIV_NS, "primary_category")[0]?.getAttribute("term") || null,
    doi: optional(entry, "doi"),
    journalRef: optional(entry, "journal_ref"),
    comment: optional(entry, "comment"),
    published: (text(entry, ATOM_NS, "published") ?? "").trim(),
    updated: (text(entry, ATOM_NS, "updated") ?? "").trim(),
    pdfUrl: pdf?.getAttribute("href") || null,
    absUrl: abs?.getAttribute("href") || `https://arxiv.org/abs/${vid}`,
  };
}

/** The element children of `parent` named `{ns}local`, in document order. */
function childElements(parent: Element, ns: string, local: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === n.ELEMENT_NODE) {
      const el = n as Element;
      if (el.namespaceURI === ns && el.localName === local) out.push(el);
    }
  }
  return out;
}

function text(parent: Element, ns: string, local: string): string | null {
  const el = childElements(parent, ns, local)[0];
  return el ? (el.textContent ?? "") : null;
}

function optional(entry: Element, local: string): string | null {
  const value = normalise(text(entry, ARXIV_NS, local) ?? "");
  return value || null;
}

function count(feed: Element, local: string): number {
  const raw = (text(feed, OPENSEARCH_NS, local) ?? "").trim();
  const n = Number(raw);
  if (raw === "" || !Number.isSafeInteger(n) || n < 0) throw new ArxivFeedMalformed(`opensearch:${local} is "${raw}", not a count`);
  return n;
}

/** Runs of whitespace (line breaks inside titles and abstracts) become one space. */
function normalise(value: string): string {
  return value.replace(/\s+/g, " ").trim();
}
