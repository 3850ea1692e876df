/**
 * Clean-up of the text pdf.js gives for a slice of pages. Pure, and a function of the
 * slice's pages alone: the slices are planned once (pdf-scan) and stored, so a slice
 * replayed after an eviction gives the same text.
 *
 * - Characters from fonts with no Unicode map come out as C0 control codes or
 *   private-use code points: they are dropped, and counted.
 * - Text is NFC-normalised, so a letter and its combining accent become one, and an
 *   accent drawn as a glyph of its own before its letter (`O˘guz`) joins it;
 *   ligatures and presentation forms (`ﬁ`, Arabic forms) and odd spaces get their
 *   compatibility form (NFKC), which pdf.js would otherwise do item by item.
 * - A word broken by a hyphen at the end of a line is rejoined when the joined word is
 *   the more plausible one (`rejoinHyphens`).
 */

/** C0 controls other than tab and line feed, DEL, and the private-use areas (BMP and planes 15–16). */
// oxlint-disable-next-line no-control-regex -- control characters are what it removes
const JUNK = /[\u0000-\u0008\u000b-\u001f\u007f\ue000-\uf8ff\u{f0000}-\u{10fffd}]/gu;

/** What pdf.js's own `normalizeUnicode` folds: spaces, ligatures, Hebrew and Arabic presentation forms. */
const PRESENTATION_FORMS = /[\u00a0\u2000-\u200a\u202f\ufb00-\ufdff\ufe70-\ufefe]+/g;

/** Spacing accents (TeX draws them as glyphs of their own) and the combining mark each stands for. */
const SPACING_ACCENTS: Record<string, string> = {
  "\u00a8": "\u0308",
  "\u00b4": "\u0301",
  "\u00b8": "\u0327",
  "\u02c6": "\u0302",
  "\u02c7": "\u030c",
  "\u02d8": "\u0306",
  "\u02d9": "\u0307",
  "\u02da": "\u030a",
  "\u02db": "\u0328",
  "\u02dc": "\u0303",
  "\u02dd": "\u030b",
};
const DETACHED_ACCENT = /([\u00a8\u00b4\u00b8\u02c6\u02c7\u02d8-\u02dd])(\p{L})/gu;

/** `O˘guz` → `Oğuz`: an accent glyph before a letter becomes that letter's accent, where one character has both. */
function attachAccents(text: string): string {
  return text.replace(DETACHED_ACCENT, (pair, accent: string, letter: string) => {
    const composed = `${letter}${SPACING_ACCENTS[accent] ?? ""}`.normalize("NFC");
    return composed.length === 1 ? composed : pair;
  });
}

/** `text` without junk characters, normalised; `dropped` counts the code points removed. */
export function dropJunk(text: string): { text: string; dropped: number } {
  let dropped = 0;
  const kept = text
    .replace(/\r\n?/g, "\n")
    .replace(JUNK, () => {
      dropped++;
      return "";
    })
    .replace(PRESENTATION_FORMS, (forms) => forms.normalize("NFKC"));
  return { text: attachAccents(kept.normalize("NFC")), dropped };
}

/** A hyphen (or soft hyphen) ending a line before a lowercase letter: where a word may be broken. */
const BREAK = /[-\u00ad\u2010]\n(?=\p{Ll})/gu;
/** Words as the vocabulary counts them: letter runs joined by inner hyphens. */
const WORD = /[\p{L}\p{M}]+(?:-[\p{L}\p{M}]+)*/gu;
const LETTER = /[\p{L}\p{M}]/u;
/** Longest part of a broken word looked at; a longer run is not a word. */
const MAX_PART = 40;

/** One line-end hyphen: the text around it, and where it is. */
interface Break {
  text: number;
  /** Offsets in that text: the compound's start, the hyphen, and the end of the next line's word. */
  start: number;
  hyphen: number;
  end: number;
  /** Letters before the hyphen (with any earlier `x-y-` parts in `before`) and after the line break. */
  before: string;
  left: string;
  right: string;
}

/**
 * Rejoins words broken at a line end, deciding over the words of `texts` (a slice's
 * pages) with no dictionary:
 * - the hyphenated form is used elsewhere more than the joined one: a compound, kept
 *   without the line break (`well-\nknown` → `well-known`);
 * - the joined form is used elsewhere: joined (`sa-\ncredness` → `sacredness`);
 * - neither: a compound if the part before is the first part of other compounds
 *   (`self-…`), or the part after the last part of others (`…-based`), or the break
 *   follows other hyphens (`state-of-the-\nart`); otherwise joined, as typesetters
 *   break words far more often than compounds.
 * A soft hyphen always joins. Breaks across pages are left alone: the next page starts
 * with its running header more often than with the rest of the word.
 */
export function rejoinHyphens(texts: readonly string[]): string[] {
  const breaks = texts.flatMap((text, i) => findBreaks(text, i));
  if (breaks.length === 0) return [...texts];
  // Only the words the decisions need are counted.
  const wanted = new Map<string, number>();
  const affixes = new Set<string>();
  for (const b of breaks) {
    for (const w of [`${b.before}${b.left}-${b.right}`, `${b.before}${b.left}${b.right}`, `${b.left}${b.right}`]) wanted.set(w.toLowerCase(), 0);
  }
  for (const [i, text] of texts.entries()) {
    const own = breaks.filter((b) => b.text === i);
    let cut = 0;
    for (const m of text.matchAll(WORD)) {
      // The broken words themselves are not evidence.
      while (cut < own.length && own[cut]!.end <= m.index) cut++;
      if (cut < own.length && own[cut]!.start <= m.index + m[0].length && m.index <= own[cut]!.end) continue;
      const w = m[0].toLowerCase();
      const n = wanted.get(w);
      if (n !== undefined) wanted.set(w, n + 1);
      const dash = w.indexOf("-");
      if (dash > 0) {
        affixes.add(w.slice(0, dash + 1));
        affixes.add(w.slice(w.lastIndexOf("-")));
      }
    }
  }
  const count = (w: string) => wanted.get(w.toLowerCase()) ?? 0;
  return texts.map((text, i) => {
    let out = "";
    let at = 0;
    for (const b of breaks) {
      if (b.text !== i) continue;
      const joined = `${b.left}${b.right}`;
      const compound =
        text[b.hyphen] !== "\u00ad" &&
        (count(`${b.before}${b.left}-${b.right}`) > count(`${b.before}${joined}`) ||
          (count(joined) === 0 && (b.before.length > 0 || affixes.has(`${b.left.toLowerCase()}-`) || affixes.has(`-${b.right.toLowerCase()}`))));
      out += text.slice(at, b.hyphen) + (compound ? "-" : "") + b.right;
      at = b.end;
    }
    return out + text.slice(at);
  });
}

function findBreaks(text: string, index: number): Break[] {
  const found: Break[] = [];
  for (const m of text.matchAll(BREAK)) {
    const hyphen = m.index;
    let leftStart = hyphen;
    while (leftStart > 0 && hyphen - leftStart < MAX_PART && LETTER.test(text[leftStart - 1]!)) leftStart--;
    if (leftStart === hyphen) continue;
    let start = leftStart;
    // Earlier parts of the same compound: `state-of-the-`.
    while (start > 1 && text[start - 1] === "-" && LETTER.test(text[start - 2]!)) {
      let s = start - 1;
      while (s > 0 && start - s < MAX_PART && LETTER.test(text[s - 1]!)) s--;
      start = s;
    }
    let end = hyphen + 2;
    while (end < text.length && end - hyphen - 2 < MAX_PART && LETTER.test(text[end]!)) end++;
    found.push({
      text: index,
      start,
      hyphen,
      end,
      before: text.slice(start, leftStart),
      left: text.slice(leftStart, hyphen),
      right: text.slice(hyphen + 2, end),
    });
  }
  return found;
}

/** A slice's pages as the document's text takes them. */
export interface PdfSliceText {
  /** Each page's text, followed by a blank line unless it is the document's last page. */
  pages: { page: number; text: string }[];
  /** Junk characters dropped (`dropJunk`). */
  dropped: number;
  /** Pages pdf.js could not read, with its message. */
  failed: { page: number; error: string }[];
}

/** The document text of one slice's pages (`pageCount`: pages in the whole document). */
export function pdfSliceText(pages: readonly { page: number; text: string; error?: string }[], pageCount: number): PdfSliceText {
  let dropped = 0;
  const cleaned = pages.map((p) => {
    const clean = dropJunk(p.text);
    dropped += clean.dropped;
    return clean.text;
  });
  const joined = rejoinHyphens(cleaned);
  return {
    pages: pages.map((p, i) => {
      const text = joined[i]!.trimEnd();
      return { page: p.page, text: p.page < pageCount ? `${text}\n\n` : text };
    }),
    dropped,
    failed: pages.flatMap((p) => (p.error === undefined ? [] : [{ page: p.page, error: p.error }])),
  };
}
