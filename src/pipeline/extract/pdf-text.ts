/**
 * Clean-up of the text pdf.js gives for a slice of pages. Pure, and a function of the
 * slice's pages alone: the slices are planned once (pdf-scan) and stored, so a slice
 * replayed after an eviction gives the same text.
 *
 * - Characters from fonts with no Unicode map come out as C0 control codes or
 *   private-use code points: they are dropped, and counted.
 * - Text is NFC-normalised, so a letter and its combining accent (`O˘guz`) become one.
 * - A word broken by a hyphen at the end of a line is rejoined when the joined word is
 *   the more plausible one (`rejoinHyphens`).
 */

/** C0 controls other than tab and line feed, DEL, and the private-use areas (BMP and planes 15–16). */
const JUNK = /[\u0000-\u0008\u000b-\u001f\u007f\ue000-\uf8ff]|[\udb80-\udbff][\udc00-\udfff]/gu;

/** `text` without junk characters, NFC-normalised; `dropped` counts the code points removed. */
export function dropJunk(text: string): { text: string; dropped: number } {
  let dropped = 0;
  const kept = text.replace(/\r\n?/g, "\n").replace(JUNK, () => {
    dropped++;
    return "";
  });
  return { text: kept.normalize("NFC"), dropped };
}

/**
 * A letter run, a hyphen (or soft hyphen) and a line break, then a lowercase letter run:
 * `sa-\ncredness`. The run before may itself follow hyphens (`state-of-the-\nart`).
 */
// Runs are bounded so a page of unbroken letters (CJK) cannot make the match quadratic.
const BREAK = /((?:[\p{L}\p{M}]{1,40}-){0,4})([\p{L}\p{M}]{1,40})([-\u00ad\u2010])\n(\p{Ll}[\p{L}\p{M}]{0,40})/gu;
/** Words as the vocabulary counts them: letter runs joined by inner hyphens. */
const WORD = /[\p{L}\p{M}]+(?:-[\p{L}\p{M}]+)*/gu;

/** What the pages use, for judging a break: whole words, and the parts of hyphenated ones. */
interface Vocabulary {
  words: Map<string, number>;
  /** `self-` for every `self-…` compound, `-based` for every `…-based` one. */
  affixes: Set<string>;
}

function vocabularyOf(texts: readonly string[]): Vocabulary {
  const words = new Map<string, number>();
  const affixes = new Set<string>();
  for (const text of texts) {
    // The breaks themselves are not evidence: count the text with them cut out.
    for (const m of text.replace(BREAK, " ").matchAll(WORD)) {
      const w = m[0].toLowerCase();
      words.set(w, (words.get(w) ?? 0) + 1);
      const parts = w.split("-");
      if (parts.length > 1) {
        affixes.add(`${parts[0]}-`);
        affixes.add(`-${parts.at(-1)}`);
      }
    }
  }
  return { words, affixes };
}

/**
 * Rejoins words broken at a line end, deciding over the words of `texts` (a slice's
 * pages) with no dictionary:
 * - the hyphenated form is used elsewhere, and the joined one is not: a compound, kept
 *   (`well-\nknown` → `well-known`);
 * - the joined form is used elsewhere: joined (`sa-\ncredness` → `sacredness`);
 * - neither: a compound if the part before is used as the first part of other compounds
 *   (`self-…`), or the part after as the last part (`…-based`), or the break follows
 *   other hyphens (`state-of-the-\nart`); otherwise joined, as typesetters break words.
 * A soft hyphen always joins. Breaks across pages are left alone: the next page starts
 * with its running header more often than with the rest of the word.
 */
export function rejoinHyphens(texts: readonly string[]): string[] {
  if (!texts.some((t) => t.includes("\n") && /[-\u00ad\u2010]\n/.test(t))) return [...texts];
  const vocab = vocabularyOf(texts);
  const count = (w: string) => vocab.words.get(w.toLowerCase()) ?? 0;
  return texts.map((text) =>
    text.replace(BREAK, (_all, before: string, left: string, hyphen: string, right: string) => {
      const joined = `${left}${right}`;
      const hyphenated = `${left}-${right}`;
      if (hyphen === "\u00ad") return `${before}${joined}`;
      const compound =
        count(`${before}${hyphenated}`) > count(`${before}${joined}`) ||
        (count(joined) === 0 && (before.length > 0 || vocab.affixes.has(`${left.toLowerCase()}-`) || vocab.affixes.has(`-${right.toLowerCase()}`)));
      return compound ? `${before}${hyphenated}` : `${before}${joined}`;
    }),
  );
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
