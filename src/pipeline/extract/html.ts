import { decodeEntities, decodeReference } from "./entities";
import { HtmlWriter, initialHtmlOutput, marksFurniture, type HtmlOutputState } from "./html-writer";
import type { Heading } from "./index";
import { normalizeNewlines } from "./newlines";

/**
 * A tag longer than this (chars from `<` to `>`) is malformed: its first
 * MAX_TAG chars are dropped and the rest is skipped up to the next `>`. This
 * bounds the carried input and is decided from content alone, so the output
 * does not depend on where slices split.
 */
const MAX_TAG = 8192;
/** Captured `<title>` source is cut to this many chars. */
const TITLE_SOURCE_CAP = 1000;

/** Elements whose content is raw text: skipped up to their end tag (`title` is captured instead). */
const RAW = new Set(["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript"]);

/** Resumable state of the HTML extractor (plain JSON). */
export interface HtmlExtractState {
  kind: "html";
  started: boolean;
  cr: boolean;
  /** Unconsumed input from the previous slice: a partial tag, entity or end tag (< 8 KB). */
  carry: string;
  mode: "text" | "comment" | "raw" | "skipTag";
  /** In raw mode, the element whose end tag ends it. */
  rawTag: string;
  out: HtmlOutputState;
  /** Source of the first `<title>` while it is read. */
  titleSource: string;
  /** The document's `<title>` (not part of the output text), "" when none. */
  title: string;
}

/** State before the first slice of an HTML document. */
export function initialHtmlState(): HtmlExtractState {
  return {
    kind: "html",
    started: false,
    cr: false,
    carry: "",
    mode: "text",
    rawTag: "",
    out: initialHtmlOutput(),
    titleSource: "",
    title: "",
  };
}

/**
 * Extracts the visible text of HTML. Dropped: comments, doctype, processing
 * instructions, `<head>` (so `<title>` is kept in `state.title`, not in the
 * text), script, style, noscript, template, textarea, iframe, svg, MathML
 * annotations (MathML's own text is kept), and page furniture: `nav`, `aside`,
 * `button`, a `header` or `footer` outside `article` and `main`, elements with a
 * landmark role such as `navigation` or `banner`, and `aria-hidden="true"`.
 * Entities are decoded; block elements become line breaks (paragraph-like ones
 * a blank line, at most one blank line in a row); whitespace collapses to one
 * space (inside `<pre>` line breaks are kept, spaces still collapse).
 * `<h1>`..`<h6>` are reported as headings in the slice where they end.
 */
export function extractHtmlSlice(
  input: string,
  state: HtmlExtractState,
  isLast: boolean,
  outputOffset: number,
): { text: string; state: HtmlExtractState; headings: Heading[] } {
  const st: HtmlExtractState = {
    ...state,
    out: {
      ...state.out,
      heading: state.out.heading && { ...state.out.heading },
      // A checkpoint written before furniture was tracked has neither field.
      furniture: state.out.furniture ? { ...state.out.furniture } : null,
      content: state.out.content ?? 0,
    },
  };
  const buf = st.carry + normalizeNewlines(input, st);
  st.carry = "";
  const w = new HtmlWriter(st.out, outputOffset);
  const n = buf.length;
  let i = 0;
  let lt = -1; // cached next '<' at or after i
  let amp = -1; // cached next '&' at or after i
  while (i < n) {
    if (st.mode === "comment") {
      const j = buf.indexOf("-->", i);
      if (j < 0) {
        if (!isLast) st.carry = buf.slice(Math.max(i, n - 2));
        break;
      }
      i = j + 3;
      st.mode = "text";
      continue;
    }
    if (st.mode === "skipTag") {
      const j = buf.indexOf(">", i);
      if (j < 0) break;
      i = j + 1;
      st.mode = "text";
      continue;
    }
    if (st.mode === "raw") {
      const r = scanRaw(buf, i, st, isLast);
      if (r < 0) break;
      i = r;
      continue;
    }
    if (lt < i) lt = indexOrEnd(buf, "<", i);
    if (amp < i) amp = indexOrEnd(buf, "&", i);
    const j = lt < amp ? lt : amp;
    if (j > i) w.text(buf.slice(i, j));
    i = j;
    if (j >= n) break;
    if (j === amp) {
      const ref = decodeReference(buf, j, isLast);
      if (ref === "incomplete") {
        st.carry = buf.slice(j);
        break;
      }
      if (ref === "none") {
        w.text("&");
        i = j + 1;
      } else {
        w.text(ref.text);
        i = ref.end;
      }
      continue;
    }
    const r = scanMarkup(buf, j, st, w, isLast);
    if (r < 0) break;
    i = r;
  }
  if (isLast) finishTitle(st);
  return { text: w.finish(isLast), state: st, headings: w.headings };
}

/** Handles markup at `buf[j] === "<"`. Returns where to continue, or -1 when the rest was carried or dropped. */
function scanMarkup(buf: string, j: number, st: HtmlExtractState, w: HtmlWriter, isLast: boolean): number {
  const n = buf.length;
  if (j + 1 >= n) {
    if (isLast) w.text("<");
    else st.carry = buf.slice(j);
    return -1;
  }
  const c = buf.charCodeAt(j + 1);
  if (c === 33 /* ! */) {
    if (j + 4 > n && !isLast && "<!--".startsWith(buf.slice(j))) {
      st.carry = buf.slice(j);
      return -1;
    }
    if (buf.startsWith("<!--", j)) {
      st.mode = "comment";
      return j + 4;
    }
    return skipTag(buf, j, st, isLast, null); // doctype or bogus comment
  }
  if (c === 63 /* ? */) return skipTag(buf, j, st, isLast, null);
  if (c === 47 /* / */) {
    if (j + 2 >= n && !isLast) {
      st.carry = buf.slice(j);
      return -1;
    }
    if (isAsciiLetter(buf.charCodeAt(j + 2))) return skipTag(buf, j, st, isLast, w);
    return skipTag(buf, j, st, isLast, null); // `</>` or a bogus comment
  }
  if (isAsciiLetter(c)) return skipTag(buf, j, st, isLast, w);
  w.text("<");
  return j + 1;
}

/**
 * Finds the `>` ending the tag at `j` (ignoring `>` inside quoted attribute
 * values) within MAX_TAG chars. When `w` is given the tag is applied to it.
 */
function skipTag(buf: string, j: number, st: HtmlExtractState, isLast: boolean, w: HtmlWriter | null): number {
  const n = buf.length;
  const limit = Math.min(n, j + MAX_TAG);
  let k = j + 1;
  let afterEq = false;
  while (k < limit) {
    const c = buf.charCodeAt(k);
    if (c === 62 /* > */) break;
    if (c === 61 /* = */) afterEq = true;
    else if (afterEq && (c === 34 || c === 39)) {
      const q = buf.indexOf(c === 34 ? '"' : "'", k + 1);
      if (q < 0 || q >= limit) {
        k = limit;
        break;
      }
      k = q;
      afterEq = false;
    } else if (c !== 32 && c !== 9 && c !== 10 && c !== 12) afterEq = false;
    k++;
  }
  if (k < limit) {
    if (w !== null) applyTag(buf, j, k, st, w);
    return k + 1;
  }
  if (limit === j + MAX_TAG) {
    st.mode = "skipTag";
    return limit;
  }
  if (!isLast) st.carry = buf.slice(j);
  return -1;
}

/** Applies the start or end tag `buf[j..gt]` (`gt` is its `>`). */
function applyTag(buf: string, j: number, gt: number, st: HtmlExtractState, w: HtmlWriter): void {
  const isEnd = buf.charCodeAt(j + 1) === 47;
  let p = isEnd ? j + 2 : j + 1;
  const start = p;
  while (p < gt && isNameChar(buf.charCodeAt(p))) p++;
  const name = buf.slice(start, p).toLowerCase();
  if (isEnd) {
    w.close(name);
    return;
  }
  if (RAW.has(name)) {
    st.mode = "raw";
    st.rawTag = name;
    return;
  }
  // `role=x` is the shortest furniture mark: shorter attributes cannot hold one.
  w.open(name, buf.charCodeAt(gt - 1) === 47, gt - p > 6 && marksFurniture(buf.slice(p, gt)));
}

/** Skips raw text up to `</rawTag`. Returns where to continue, or -1 at the end of the input. */
function scanRaw(buf: string, i: number, st: HtmlExtractState, isLast: boolean): number {
  const n = buf.length;
  const tag = st.rawTag;
  let from = i;
  for (;;) {
    const k = buf.indexOf("</", from);
    if (k < 0) {
      const hold = !isLast && buf.charCodeAt(n - 1) === 60 ? n - 1 : n;
      captureTitle(st, buf.slice(i, hold));
      if (hold < n) st.carry = buf.slice(hold);
      return -1;
    }
    const after = k + 2 + tag.length;
    if (after >= n && !isLast) {
      captureTitle(st, buf.slice(i, k));
      st.carry = buf.slice(k);
      return -1;
    }
    const c = after < n ? buf.charCodeAt(after) : 62;
    if (buf.slice(k + 2, after).toLowerCase() === tag && (c === 62 || c === 47 || c === 32 || c === 9 || c === 10 || c === 12)) {
      captureTitle(st, buf.slice(i, k));
      if (tag === "title") finishTitle(st);
      st.mode = "text";
      return k; // the end tag itself is read in text mode
    }
    from = k + 2;
  }
}

function captureTitle(st: HtmlExtractState, s: string): void {
  if (st.rawTag !== "title" || st.title !== "" || st.titleSource.length >= TITLE_SOURCE_CAP) return;
  st.titleSource = (st.titleSource + s).slice(0, TITLE_SOURCE_CAP);
}

function finishTitle(st: HtmlExtractState): void {
  if (st.title === "" && st.titleSource !== "") {
    st.title = decodeEntities(st.titleSource).replace(/\s+/g, " ").trim().slice(0, 200);
  }
  st.titleSource = "";
}

function indexOrEnd(s: string, ch: string, from: number): number {
  const k = s.indexOf(ch, from);
  return k < 0 ? s.length : k;
}

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isNameChar(c: number): boolean {
  return isAsciiLetter(c) || (c >= 48 && c <= 57) || c === 45 || c === 58 || c === 95;
}
