import type { Heading } from "./index";

/** Heading titles are cut to this many chars. */
const TITLE_CAP = 200;

/** The part of the HTML extractor's state that shapes the output text (plain JSON). */
export interface HtmlOutputState {
  /** Whether any text has been written yet (leading breaks and spaces are dropped). */
  emitted: boolean;
  /** Line breaks owed before the next text (0..2). */
  brk: number;
  /** A space is owed before the next text. */
  space: boolean;
  /** Depth of elements whose content is not rendered (template, svg, MathML annotations). */
  hidden: number;
  /** The page furniture being skipped (navigation, banners, asides): its tag and how deep it nests. */
  furniture: { tag: string; depth: number } | null;
  /** Depth of `<article>` and `<main>`: a header or footer inside them is content. */
  content: number;
  /** Inside `<head>`: nothing is rendered. */
  inHead: boolean;
  /** Depth of `<pre>`: source line breaks are kept. */
  pre: number;
  /** The `<h1>`..`<h6>` being read: offset is -1 until its first text is written. */
  heading: { level: number; offset: number; title: string } | null;
}

/** Elements whose start and end are a paragraph break (a blank line). */
const PARAGRAPH = new Set(["p", "ul", "ol", "dl", "table", "blockquote", "pre", "hr", "figure", "form", "fieldset"]);
/** Elements whose start and end are a line break. */
const BLOCK = new Set([
  "div",
  "li",
  "tr",
  "section",
  "article",
  "header",
  "footer",
  "nav",
  "aside",
  "main",
  "dd",
  "dt",
  "figcaption",
  "address",
  "details",
  "summary",
  "caption",
  "thead",
  "tbody",
  "tfoot",
  "option",
  "body",
  "html",
  "center",
  "legend",
  "menu",
  "hgroup",
  "search",
  "dialog",
]);
/**
 * Elements whose content is parsed but never rendered. MathML's text is kept, but not
 * its annotations (the TeX source beside the rendered formula).
 */
const HIDDEN = new Set(["template", "svg", "annotation", "annotation-xml"]);
/** Elements that are page furniture, not content (Readability drops them too). */
const FURNITURE = new Set(["nav", "aside", "button"]);
/** Elements that are furniture only outside `<article>` and `<main>` (a page's banner and footer). */
const PAGE_FURNITURE = new Set(["header", "footer"]);
/** ARIA landmark and widget roles of furniture. */
const FURNITURE_ROLES = new Set(["navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "toolbar", "dialog", "alertdialog"]);
/** Elements that never have content (so never open furniture). */
const VOID = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]);

/** Initial output state. */
export function initialHtmlOutput(): HtmlOutputState {
  return { emitted: false, brk: 0, space: false, hidden: 0, furniture: null, content: 0, inHead: false, pre: 0, heading: null };
}

/**
 * Turns the HTML token stream of one slice into text: collapses whitespace,
 * owes line breaks for block elements, and tracks headings. Works on a copy of
 * the state that the caller saves afterwards.
 */
export class HtmlWriter {
  readonly parts: string[] = [];
  readonly headings: Heading[] = [];

  constructor(
    readonly st: HtmlOutputState,
    private pos: number,
  ) {}

  /** Character data (entities already decoded). */
  text(s: string): void {
    const st = this.st;
    if (st.hidden > 0 || st.furniture !== null || st.inHead || s.length === 0) return;
    if (st.pre > 0 && s.indexOf("\n") >= 0) {
      const lines = s.split("\n");
      for (let k = 0; k < lines.length; k++) {
        if (k > 0) this.lineBreak();
        this.collapsed(lines[k]!);
      }
      return;
    }
    this.collapsed(s);
  }

  /**
   * A start tag. `furniture` says its attributes mark it as page furniture (a landmark
   * role such as `navigation`, or `aria-hidden="true"`).
   */
  open(name: string, selfClosing: boolean, furniture = false): void {
    const st = this.st;
    if (st.furniture !== null) {
      if (name === st.furniture.tag && !selfClosing) st.furniture.depth++;
      return;
    }
    if (HIDDEN.has(name)) {
      if (!selfClosing) st.hidden++;
      return;
    }
    if (name === "head") {
      st.inHead = true;
      return;
    }
    if (st.inHead && (name === "body" || PARAGRAPH.has(name) || BLOCK.has(name) || headingLevel(name) > 0)) {
      st.inHead = false; // a missing </head>: the body has begun
    }
    if (!st.inHead && !selfClosing && !VOID.has(name) && this.isFurniture(name, furniture)) {
      this.owe(1);
      st.furniture = { tag: name, depth: 1 };
      return;
    }
    if (name === "article" || name === "main") st.content++;
    this.structure(name, true);
  }

  /** An end tag. */
  close(name: string): void {
    const st = this.st;
    if (st.furniture !== null) {
      if (name === st.furniture.tag && --st.furniture.depth === 0) st.furniture = null;
      return;
    }
    if (HIDDEN.has(name)) {
      if (st.hidden > 0) st.hidden--;
      return;
    }
    if (name === "head") {
      st.inHead = false;
      return;
    }
    if ((name === "article" || name === "main") && st.content > 0) st.content--;
    this.structure(name, false);
  }

  /** Ends the slice; on the last slice an unclosed heading is reported. */
  finish(isLast: boolean): string {
    if (isLast) this.endHeading();
    return this.parts.join("");
  }

  private isFurniture(name: string, marked: boolean): boolean {
    if (this.st.hidden > 0) return false;
    return marked || FURNITURE.has(name) || (PAGE_FURNITURE.has(name) && this.st.content === 0);
  }

  private structure(name: string, isOpen: boolean): void {
    const st = this.st;
    if (st.hidden > 0 || st.inHead) return;
    if (name === "br") {
      this.lineBreak();
      return;
    }
    const level = headingLevel(name);
    if (level > 0) {
      this.endHeading();
      if (isOpen) st.heading = { level, offset: -1, title: "" };
      this.owe(2);
    } else if (PARAGRAPH.has(name)) {
      if (name === "pre") st.pre = isOpen ? st.pre + 1 : Math.max(0, st.pre - 1);
      this.owe(2);
    } else if (BLOCK.has(name)) {
      this.owe(1);
    } else if (name === "td" || name === "th") {
      st.space = true;
    }
  }

  private owe(n: number): void {
    if (this.st.brk < n) this.st.brk = n;
  }

  private lineBreak(): void {
    if (this.st.brk < 2) this.st.brk++;
  }

  private endHeading(): void {
    const h = this.st.heading;
    if (h === null) return;
    this.st.heading = null;
    const title = h.title.trim();
    if (h.offset >= 0 && title.length > 0) this.headings.push({ offset: h.offset, level: h.level, title });
  }

  /** Writes `s` with runs of HTML whitespace collapsed to one space. */
  private collapsed(s: string): void {
    const st = this.st;
    const c = collapseWhitespace(s);
    let from = 0;
    let to = c.length;
    if (c.charCodeAt(0) === 32) {
      st.space = true;
      from = 1;
    }
    const trailing = to > from && c.charCodeAt(to - 1) === 32;
    if (trailing) to--;
    if (to > from) this.word(from === 0 && to === c.length ? c : c.slice(from, to));
    if (trailing) st.space = true;
  }

  /** Writes text without leading or trailing whitespace, after the owed separator. */
  private word(w: string): void {
    const st = this.st;
    const h = st.heading;
    let sep = "";
    if (st.emitted) sep = st.brk === 2 ? "\n\n" : st.brk === 1 ? "\n" : st.space ? " " : "";
    st.brk = 0;
    st.space = false;
    if (sep.length > 0) {
      this.parts.push(sep);
      this.pos += sep.length;
    }
    if (h !== null) {
      if (h.offset < 0) h.offset = this.pos;
      if (h.title.length < TITLE_CAP) {
        const joint = h.title.length > 0 && sep.length > 0 ? " " : "";
        h.title = (h.title + joint + w).slice(0, TITLE_CAP);
      }
    }
    this.parts.push(w);
    this.pos += w.length;
    st.emitted = true;
  }
}

function headingLevel(name: string): number {
  if (name.length !== 2 || name.charCodeAt(0) !== 104 /* h */) return 0;
  const d = name.charCodeAt(1) - 48;
  return d >= 1 && d <= 6 ? d : 0;
}

/**
 * `s` with every run of HTML whitespace that is not a single space replaced by one
 * space; `s` itself when there is none. A scan and one join (a global regex replace on
 * a multi-megabyte text run spent most of its time in the garbage collector).
 */
function collapseWhitespace(s: string): string {
  const parts: string[] = [];
  let start = 0;
  const n = s.length;
  for (let i = 0; i < n; ) {
    const c = s.charCodeAt(i);
    if (c > 32 || !isHtmlSpace(c)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && isHtmlSpace(s.charCodeAt(j))) j++;
    if (j - i > 1 || c !== 32) {
      parts.push(s.slice(start, i), " ");
      start = j;
    }
    i = j;
  }
  if (start === 0) return s;
  parts.push(s.slice(start));
  return parts.join("");
}

function isHtmlSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 12 || c === 13;
}

/** Whether a tag's attributes (`attrs`, the source between its name and `>`) mark it as page furniture. */
export function marksFurniture(attrs: string): boolean {
  if (attrs.indexOf("role") < 0 && attrs.indexOf("aria-hidden") < 0) return false;
  if (/\baria-hidden\s*=\s*["']?true\b/i.test(attrs)) return true;
  const role = /(?:^|\s)role\s*=\s*["']?([a-z]+)/i.exec(attrs)?.[1]?.toLowerCase();
  return role !== undefined && FURNITURE_ROLES.has(role);
}
