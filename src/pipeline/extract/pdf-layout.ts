/**
 * Turns pdf.js text items into lines. pdf.js inserts a space only where the gap between
 * two glyph runs is small (up to about 1.3 font sizes: `SPACE_IN_FLOW_MAX_FACTOR` in its
 * evaluator); past that it starts a new item and leaves spacing to the caller, which
 * is how table cells (`920.68STAFF TRANSPORTATION`) and a page number beside a running
 * header (`47711Federal Register`) run together. Here each item's position (`transform`,
 * `width`) is compared with the end of the one before: a new baseline gets a line
 * break, a gap on the same baseline a space. A run printed again over itself (fake
 * bold: the same string a fraction of a point away) is kept once, as poppler does. Pure.
 */

/** The fields of a pdf.js `TextItem` this module reads. */
export interface PdfTextItem {
  str: string;
  /** [a, b, c, d, e, f]: the glyph run's matrix; (e, f) is its origin in user space. */
  transform: number[];
  /** Advance of the run in user space. */
  width: number;
  height: number;
  hasEOL: boolean;
  dir?: string;
}

/** A gap wider than this many font sizes (the smaller of the two runs) between runs on one baseline is a word break. */
const WORD_GAP = 0.15;
/** A jump back along the baseline past this many font sizes starts another cell. */
const BACKWARD_GAP = 1;
/** A repeat of the last run closer than this many font sizes is an overprint. */
const OVERPRINT = 0.2;
/** Baselines further apart than this many font sizes (the smaller of the two runs) are different lines; a superscript is closer. */
const LINE_GAP = 0.75;

/** Where a run starts and ends along its baseline, in a frame turned with the text. */
interface Run {
  /** Unit vector along the baseline. */
  ux: number;
  uy: number;
  /** Origin and font size. */
  x: number;
  y: number;
  size: number;
}

/** The page's text: items in content order, separated as their positions say. */
export function textFromItems(items: readonly PdfTextItem[]): string {
  let out = "";
  /** The previous run on the current line, and where it ended along the baseline. */
  let prev: { run: Run; end: number } | null = null;
  let last: { str: string; run: Run } | null = null;
  for (const item of items) {
    const run = item.str.length > 0 ? runOf(item) : null;
    const overprint = run !== null && last !== null && item.str === last.str && isNear(run, last.run, OVERPRINT * run.size);
    if (item.str.length > 0 && !overprint) {
      if (prev && run && !endsWithSpace(out) && !startsWithSpace(item.str)) out += separator(prev.run, prev.end, run);
      out += item.str;
      prev = run ? { run, end: along(run, run) + item.width } : null;
      last = run ? { str: item.str, run } : null;
    }
    if (item.hasEOL) {
      out += "\n";
      prev = null;
    }
  }
  return out;
}

/** What goes between a run that ended at `end` (along its baseline) and the next one. */
function separator(prev: Run, end: number, run: Run): string {
  // Another direction (a rotated label): a new line.
  if (prev.ux * run.ux + prev.uy * run.uy < 0.99) return "\n";
  const size = Math.min(prev.size, run.size);
  // Distance between the baselines: across the text direction.
  const across = (run.x - prev.x) * -prev.uy + (run.y - prev.y) * prev.ux;
  if (Math.abs(across) > LINE_GAP * size) return "\n";
  const gap = along(prev, run) - end;
  return gap > WORD_GAP * size || gap < -BACKWARD_GAP * size ? " " : "";
}

/** Position of `run`'s origin along `frame`'s baseline. */
function along(frame: Run, run: Run): number {
  return run.x * frame.ux + run.y * frame.uy;
}

/** A run's baseline frame; null for right-to-left text, whose items pdf.js already orders. */
function runOf(item: PdfTextItem): Run | null {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = item.transform;
  const length = Math.hypot(a, b);
  if (item.dir === "rtl" || length === 0) return null;
  return { ux: a / length, uy: b / length, x: e, y: f, size: Math.hypot(c, d) || item.height };
}

function isNear(a: { x: number; y: number }, b: { x: number; y: number }, distance: number): boolean {
  return Math.abs(a.x - b.x) < distance && Math.abs(a.y - b.y) < distance;
}

function endsWithSpace(s: string): boolean {
  return s.length === 0 || isSpace(s.charCodeAt(s.length - 1));
}

function startsWithSpace(s: string): boolean {
  return isSpace(s.charCodeAt(0));
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d || code === 0xa0 || code === 0x3000;
}
