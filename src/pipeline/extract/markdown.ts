import type { Heading } from "./index";
import { headingText } from "./markdown-title";
import { normalizeNewlines } from "./newlines";

/** Only this many leading chars of a line are kept to recognise headings and fences. */
const LINE_HEAD_CAP = 1024;
/** Source chars of a paragraph kept in case an underline makes it a setext heading. */
const PARAGRAPH_CAP = 1024;
/** Heading titles are cut to this many chars. */
const TITLE_CAP = 200;

/** Resumable state of the Markdown extractor (plain JSON). */
export interface MarkdownExtractState {
  kind: "markdown";
  started: boolean;
  cr: boolean;
  /** First chars (at most LINE_HEAD_CAP) of the line still being read. */
  lineHead: string;
  /** Output offset where that line starts. */
  lineStart: number;
  /** Open fenced code block: its fence char and length, or null. */
  fence: { char: string; length: number } | null;
  /** The paragraph read so far (its start offset and first source chars): a setext underline makes it a heading. */
  paragraph?: { start: number; source: string } | null;
}

/** State before the first slice of a Markdown document. */
export function initialMarkdownState(): MarkdownExtractState {
  return { kind: "markdown", started: false, cr: false, lineHead: "", lineStart: 0, fence: null, paragraph: null };
}

/**
 * Markdown is kept as text (markup included). Headings are reported outside fenced
 * code: ATX (`#`..`######` at a line start, up to 3 spaces indented) and setext (a
 * paragraph underlined by `===` for level 1 or `---` for level 2). A heading's title is
 * its text without markup (`headingText`); one with no text left (only badges) is not
 * reported. A heading is reported in the slice where its last line ends.
 */
export function extractMarkdownSlice(
  input: string,
  state: MarkdownExtractState,
  isLast: boolean,
  outputOffset: number,
): { text: string; state: MarkdownExtractState; headings: Heading[] } {
  const st: MarkdownExtractState = { ...state, paragraph: state.paragraph ? { ...state.paragraph } : null };
  const text = normalizeNewlines(input, st);
  const headings: Heading[] = [];
  // A paragraph begun in this slice is only noted (where it starts); its source is copied
  // only when a line needs it (an underline, a lazy continuation) or the slice ends, so
  // most paragraphs cost nothing beyond finding their lines.
  const open: OpenParagraph = { text, start: -1, from: -1, to: -1 };
  let i = 0;
  while (i < text.length) {
    const nl = text.indexOf("\n", i);
    const end = nl < 0 ? text.length : nl;
    // A whole line that starts like prose (or like code in a fence, which no such line
    // closes) costs one char test.
    if (st.lineHead.length === 0 && nl >= 0 && isProseStart(text.charCodeAt(i))) {
      if (st.fence === null) {
        if (st.paragraph) addParagraphLine(st, outputOffset + i, text, i, end);
        else if (open.from < 0) {
          open.start = outputOffset + i;
          open.from = i;
        }
        open.to = nl + 1;
      }
      st.lineStart = outputOffset + nl + 1;
      i = nl + 1;
      continue;
    }
    if (st.lineHead.length < LINE_HEAD_CAP) {
      st.lineHead += text.slice(i, Math.min(end, i + LINE_HEAD_CAP - st.lineHead.length));
    }
    if (nl < 0) break;
    endLine(st, headings, open);
    st.lineStart = outputOffset + nl + 1;
    i = nl + 1;
  }
  if (isLast && st.lineHead.length > 0) endLine(st, headings, open);
  materialize(st, open);
  return { text, state: st, headings };
}

/** A paragraph begun in the current slice whose source is not copied yet: its lines are text[from, to). */
interface OpenParagraph {
  text: string;
  start: number;
  from: number;
  to: number;
}

/** Copies an open paragraph's source into the state, exactly as `addParagraphLine` line by line would. */
function materialize(st: MarkdownExtractState, open: OpenParagraph): void {
  if (open.from < 0) return;
  const { text, from, to } = open;
  st.paragraph = null;
  for (let a = from; a < to; ) {
    const nl = text.indexOf("\n", a);
    const e = nl < 0 || nl > to ? to : nl;
    addParagraphLine(st, open.start, text, a, e);
    // Past the cap no line adds anything.
    if (paragraphLength(st) >= PARAGRAPH_CAP) break;
    a = e + 1;
  }
  open.from = -1;
}

/**
 * A line starting with this char is prose: not blank, not a heading, fence, underline,
 * thematic break, list item, block quote, table row, HTML block or indented code.
 */
function isProseStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 128 && c !== 0xfeff) || c === 40 /* ( */ || c === 34 /* " */ || c === 39 /* ' */;
}

function paragraphLength(st: MarkdownExtractState): number {
  return st.paragraph?.source.length ?? 0;
}

function addParagraphLine(st: MarkdownExtractState, start: number, text: string, from: number, to: number): void {
  const p = st.paragraph;
  if (!p) {
    st.paragraph = { start, source: text.slice(from, Math.min(to, from + PARAGRAPH_CAP)) };
  } else if (p.source.length < PARAGRAPH_CAP) {
    p.source = `${p.source}\n${text.slice(from, Math.min(to, from + PARAGRAPH_CAP - p.source.length))}`;
  }
}

function endLine(st: MarkdownExtractState, headings: Heading[], open: OpenParagraph): void {
  const line = st.lineHead;
  st.lineHead = "";
  let p = 0;
  while (p < 3 && line.charCodeAt(p) === 32) p++;
  const c = line[p];
  // Blank lines, fences and ATX headings end a paragraph without reading it.
  const blank = c === undefined || line.trim() === "";
  if (blank || c === "#" || c === "`" || c === "~" || st.fence !== null) open.from = -1;
  else materialize(st, open);
  if (st.fence !== null || c === "`" || c === "~") {
    st.paragraph = null;
    fenceLine(st, line, p);
    return;
  }
  if (c === undefined || line.trim() === "") {
    st.paragraph = null;
    return;
  }
  if ((c === "=" || c === "-") && st.paragraph && isUnderline(line, p, c)) {
    report(headings, st.paragraph.start, c === "=" ? 1 : 2, st.paragraph.source);
    st.paragraph = null;
    return;
  }
  if (c === "#") {
    st.paragraph = null;
    atxLine(line, p, st.lineStart, headings);
    return;
  }
  const indented = line.startsWith("    ") || line[0] === "\t";
  if ((indented && !st.paragraph) || startsBlock(line, p)) {
    st.paragraph = null;
    return;
  }
  // Any other line is prose, or a lazy continuation of the paragraph.
  addParagraphLine(st, st.lineStart, line, 0, line.length);
}

function fenceLine(st: MarkdownExtractState, line: string, p: number): void {
  const c = line[p];
  if (c !== "`" && c !== "~") return;
  let q = p;
  while (line[q] === c) q++;
  const length = q - p;
  if (length < 3) return;
  if (st.fence === null) {
    // A backtick fence's info string may not contain backticks (CommonMark §4.5).
    if (c === "`" && line.indexOf("`", q) >= 0) return;
    st.fence = { char: c, length };
  } else if (st.fence.char === c && length >= st.fence.length && line.slice(q).trim() === "") {
    st.fence = null;
  }
}

function atxLine(line: string, p: number, start: number, headings: Heading[]): void {
  let q = p;
  while (line[q] === "#") q++;
  const level = q - p;
  const after = line[q];
  if (level > 6 || (after !== undefined && after !== " " && after !== "\t")) return;
  report(headings, start, level, line.slice(q).replace(/[ \t]+#+[ \t]*$/, ""));
}

/** A setext underline: only `=` (or only `-`) after up to 3 spaces, trailing spaces allowed (CommonMark §4.3). */
function isUnderline(line: string, p: number, c: string): boolean {
  let q = p;
  while (line[q] === c) q++;
  return line.slice(q).trim() === "";
}

/** Lines that start another block: a thematic break, list item, block quote, table row or HTML block. */
function startsBlock(line: string, p: number): boolean {
  return /^(?:[-*+][ \t]|[-*+]$|\d{1,9}[.)](?:[ \t]|$)|>|\||<|(?:[-*_][ \t]*){3,}$)/.test(line.slice(p));
}

function report(headings: Heading[], offset: number, level: number, source: string): void {
  const title = headingText(source).slice(0, TITLE_CAP);
  if (title.length > 0) headings.push({ offset, level, title });
}
