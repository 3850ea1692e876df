import type { Heading } from "./index";
import { normalizeNewlines } from "./newlines";

/** Only this many leading chars of a line are kept to recognise headings and fences. */
const LINE_HEAD_CAP = 1024;
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
}

/** State before the first slice of a Markdown document. */
export function initialMarkdownState(): MarkdownExtractState {
  return { kind: "markdown", started: false, cr: false, lineHead: "", lineStart: 0, fence: null };
}

/**
 * Markdown is kept as text (markup included); ATX headings (`#`..`######` at a
 * line start, up to 3 spaces indented, outside fenced code) are reported. A
 * heading is reported in the slice where its line ends. Setext headings are not
 * recognised.
 */
export function extractMarkdownSlice(
  input: string,
  state: MarkdownExtractState,
  isLast: boolean,
  outputOffset: number,
): { text: string; state: MarkdownExtractState; headings: Heading[] } {
  const st: MarkdownExtractState = { ...state };
  const text = normalizeNewlines(input, st);
  const headings: Heading[] = [];
  let i = 0;
  while (i < text.length) {
    const nl = text.indexOf("\n", i);
    const end = nl < 0 ? text.length : nl;
    // Only a line that may open a heading or a fence is looked at (a line starting with
    // up to 3 spaces then "#", "`" or "~"); the others cost one char test.
    if (st.lineHead.length === 0 && nl >= 0 && !mayMatter(text.charCodeAt(i))) {
      st.lineStart = outputOffset + nl + 1;
      i = nl + 1;
      continue;
    }
    if (st.lineHead.length < LINE_HEAD_CAP) {
      st.lineHead += text.slice(i, Math.min(end, i + LINE_HEAD_CAP - st.lineHead.length));
    }
    if (nl < 0) break;
    endLine(st, headings);
    st.lineStart = outputOffset + nl + 1;
    i = nl + 1;
  }
  if (isLast && st.lineHead.length > 0) endLine(st, headings);
  return { text, state: st, headings };
}

/** First char of a line that can start a heading or a fence (space: up to 3 may indent one). */
function mayMatter(c: number): boolean {
  return c === 35 /* # */ || c === 96 /* ` */ || c === 126 /* ~ */ || c === 32;
}

function endLine(st: MarkdownExtractState, headings: Heading[]): void {
  const line = st.lineHead;
  st.lineHead = "";
  let p = 0;
  while (p < 3 && line.charCodeAt(p) === 32) p++;
  const c = line[p];
  if (c === "`" || c === "~") {
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
    return;
  }
  if (c !== "#" || st.fence !== null) return;
  let q = p;
  while (line[q] === "#") q++;
  const level = q - p;
  const after = line[q];
  if (level > 6 || (after !== undefined && after !== " " && after !== "\t")) return;
  const title = line
    .slice(q)
    .replace(/[ \t]+#+[ \t]*$/, "")
    .trim()
    .slice(0, TITLE_CAP);
  if (title.length > 0) headings.push({ offset: st.lineStart, level, title });
}
