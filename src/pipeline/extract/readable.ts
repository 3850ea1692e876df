/**
 * The main content of an HTML page, found the way Firefox's Reader View finds it
 * (Mozilla Readability over a linkedom DOM). A DOM holds the whole page, so only pages
 * that fit one slice's budget get one; the rest stay with the streaming extractor and its
 * furniture rule (`html-writer.ts`).
 */
import { Readability } from "@mozilla/readability";
import { parseHTML } from "linkedom/worker";
import type { ExtractSliceResult } from "./index";
import { extractHtmlSlice, type HtmlExtractState } from "./html";

/**
 * Largest page given a DOM: one source slice (`SOURCE_SLICE_BYTES`), so the page is
 * read in one slice. Measured on Readability's own 130 test pages in Node: at most 17 MB
 * of heap and about 1 s for the densest 1 MB page (wikipedia-2), 1.6 MB/s overall.
 */
export const READABLE_MAX_BYTES = 1 << 20;
/**
 * Deepest element nesting given to Readability. Its scoring walks ancestors and
 * siblings: 100 nested `<div>`s cost 0.3–0.9 s, 200 cost 1 s and 1,000 cost 30 s, while
 * the deepest of Readability's test pages nests 38 deep.
 */
const READABLE_MAX_DEPTH = 64;
/** Most elements given to Readability (its test pages have at most 9,888; 30,000 `<p>` cost 1.8 s). */
const READABLE_MAX_ELEMENTS = 20_000;

/**
 * Deepest nesting of the source's tags (start tags minus end tags) given to the DOM
 * parser at all: linkedom builds a tree in time quadratic in its depth (1,000 nested
 * `<div>`s parse in 28 ms, 200,000 in 50 s). Real pages stay far below, even counting
 * unclosed `<p>` and `<li>`; the DOM's own depth is checked after parsing.
 */
const MARKUP_MAX_DEPTH = 2000;
/** Elements that never have an end tag. */
const VOID = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]);

/** A page read whole through Readability: its text and headings, and its title. */
export interface ReadablePage extends ExtractSliceResult {
  title: string;
}

/**
 * The text of a whole page (`html`, at most READABLE_MAX_BYTES, read in one slice from
 * `state`) from its main content, or null when Readability gives none (the caller then
 * extracts the page as it streams). The article is all content, so it is read as a
 * `<main>`: its headers and footers are kept.
 */
export function extractReadablePage(html: string, state: HtmlExtractState): ReadablePage | null {
  const article = readableArticle(html);
  if (!article) return null;
  return { ...extractHtmlSlice(`<main>${article.html}</main>`, state, true, 0), title: article.title };
}

/** A page's main content. */
export interface ReadableArticle {
  /** The article's HTML, for the streaming extractor. */
  html: string;
  /** The article's title as Readability chose it ("" when none). */
  title: string;
}

/**
 * The main content of `html`, or null when the page is past the DOM bounds or
 * Readability finds no article in it (the caller then extracts the whole page).
 */
export function readableArticle(html: string): ReadableArticle | null {
  const markup = measureTags(html);
  if (markup.depth > MARKUP_MAX_DEPTH || markup.elements > READABLE_MAX_ELEMENTS) return null;
  try {
    return findArticle(html);
  } catch {
    // Readability refuses a DOM past `maxElemsToParse` by throwing, and markup nobody
    // foresaw may trip it or the DOM: the page still has its streaming extraction.
    return null;
  }
}

function findArticle(html: string): ReadableArticle | null {
  const { document } = parseHTML(html);
  if (!withinBounds(document.documentElement)) return null;
  // Readability turns every <h1> into an <h2> (its title is shown apart); the mark lets
  // the article keep the page's heading levels.
  for (const h1 of document.querySelectorAll("h1")) h1.setAttribute(H1_MARK, "");
  keepFormulas(document as unknown as DomNode);
  const article = new Readability(document as never, { maxElemsToParse: READABLE_MAX_ELEMENTS, serializer: serializeArticle }).parse();
  if (!article?.content) return null;
  return { html: article.content, title: (article.title ?? "").replace(/\s+/g, " ").trim().slice(0, 200) };
}

const H1_MARK = "data-edge-ingest-h1";

/** The little of linkedom's DOM the serializer uses (the Worker's types have no DOM). */
interface DomNode {
  firstChild: DomNode | null;
  parentElement: DomNode | null;
  tagName: string;
  removeAttribute(name: string): void;
  innerHTML: string;
  ownerDocument: { createElement(name: string): DomNode };
  querySelectorAll(selector: string): Iterable<DomNode>;
  appendChild(child: DomNode): void;
  replaceWith(node: DomNode): void;
}

/**
 * Readability drops an element whose class looks like furniture ("menu", "popup"):
 * MathJax wraps each formula in `<mjx-container class="MathJax CtxtMenu_Attached_0">`.
 * The inline wrappers of a `<math>` (custom elements and spans) lose their classes so
 * the formula stays in the article.
 */
function keepFormulas(document: DomNode): void {
  for (const math of document.querySelectorAll("math")) {
    for (let p = math.parentElement; p !== null && (p.tagName === "SPAN" || p.tagName.includes("-")); p = p.parentElement) {
      p.removeAttribute("class");
    }
  }
}

/** The article's HTML with the marked headings back as `<h1>`. */
function serializeArticle(node: unknown): string {
  const root = node as DomNode;
  for (const h of root.querySelectorAll(`[${H1_MARK}]`)) {
    const h1 = h.ownerDocument.createElement("h1");
    while (h.firstChild) h1.appendChild(h.firstChild);
    h.replaceWith(h1);
  }
  return root.innerHTML;
}

interface ElementLike {
  children: ArrayLike<ElementLike>;
}

/** Whether the tree under `root` is within READABLE_MAX_DEPTH and READABLE_MAX_ELEMENTS (an explicit stack: hostile nesting must not overflow ours). */
function withinBounds(root: ElementLike | null): boolean {
  if (root === null) return false;
  const stack: [ElementLike, number][] = [[root, 1]];
  let count = 0;
  while (stack.length > 0) {
    const [el, depth] = stack.pop()!;
    if (++count > READABLE_MAX_ELEMENTS || depth > READABLE_MAX_DEPTH) return false;
    const kids = el.children;
    for (let k = 0; k < kids.length; k++) stack.push([kids[k]!, depth + 1]);
  }
  return true;
}

/**
 * How deep the source's tags nest and how many elements they open, counted from the
 * markup alone (an upper bound of the DOM's, give or take implied end tags).
 */
function measureTags(html: string): { depth: number; elements: number } {
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>/g;
  let depth = 0;
  let max = 0;
  let elements = 0;
  for (let m = tag.exec(html); m !== null; m = tag.exec(html)) {
    if (m[1] === "/") {
      depth = Math.max(0, depth - 1);
      continue;
    }
    elements++;
    const selfClosing = m[0].charCodeAt(m[0].length - 2) === 47;
    if (!selfClosing && !VOID.has(m[2]!.toLowerCase())) max = Math.max(max, ++depth);
  }
  return { depth: max, elements };
}
