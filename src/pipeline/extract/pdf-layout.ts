/**
 * Turns pdf.js text items into lines. pdf.js inserts a space only where the gap between
 * two glyph runs is small (up to about 1.3 font sizes: `SPACE_IN_FLOW_MAX_FACTOR` in its
 * evaluator); past that it starts a new item and leaves spacing to the caller, which
 * is how table cells (`920.68STAFF TRANSPORTATION`) and a page number beside a running
 * header (`47711Federal Register`) run together. Here each item's position (`transform`,
 * `width`) is compared with the end of the one before: a new baseline gets a line
 * break, a gap on the same baseline a space. Pure.
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

/** A gap wider than this many font sizes between runs on one baseline is a word break. */
const WORD_GAP = 0.15;
/** Baselines further apart than this many font sizes are different lines (superscripts are closer). */
const LINE_GAP = 0.75;

interface RunEnd {
  x: number;
  y: number;
  size: number;
}

/** The page's text: items in content order, separated as their positions say. */
export function textFromItems(items: readonly PdfTextItem[]): string {
  let out = "";
  let prev: RunEnd | null = null;
  for (const item of items) {
    if (item.str.length > 0) {
      const run = upright(item);
      if (prev && run && !endsWithSpace(out) && !startsWithSpace(item.str)) {
        const size = Math.max(prev.size, run.size);
        if (Math.abs(run.y - prev.y) > LINE_GAP * size) out += "\n";
        else if (run.x - prev.x > WORD_GAP * size) out += " ";
      }
      out += item.str;
      prev = run ? { x: run.x + item.width, y: run.y, size: run.size } : null;
    }
    if (item.hasEOL) {
      out += "\n";
      prev = null;
    }
  }
  return out;
}

/** Origin and font size of a left-to-right, unrotated run; null for any other (positions are not compared). */
function upright(item: PdfTextItem): { x: number; y: number; size: number } | null {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = item.transform;
  if (item.dir === "rtl" || Math.abs(b) > 1e-6 || Math.abs(c) > 1e-6 || a <= 0 || d <= 0) return null;
  return { x: e, y: f, size: d || item.height };
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
