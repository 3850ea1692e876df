/** Only this many chars at the start of a document are looked at. */
export const LANGUAGE_SAMPLE_CHARS = 100_000;

/** Latin-script languages told apart by stop words, in count order. */
const LATIN_LANGUAGES = ["en", "de", "fr", "es", "it", "pt", "nl"] as const;

// Frequent function words per language; a word shared by several languages counts for each.
const STOP_WORDS: Record<(typeof LATIN_LANGUAGES)[number], string> = {
  en: "the and of to is in that it was for with as are this be by have from not which they you were has but would there their",
  de: "der die und das ist nicht mit sich des auf ein eine dem den auch es zu im von wird sind oder wir bei ich zum zur dass nach",
  fr: "le la les et des est une dans que qui pour pas sur au du avec ce il sont par plus nous cette aux ont de un elle",
  es: "el los las del que y es en una por para con no se su al lo como más pero sus está son fue muy de un",
  it: "il di che e la per un una non sono del della gli le con si è anche nel alla questo ma come più dei",
  pt: "o os as de que e do da em um uma para com não se por dos das mais na no ao foi são está",
  nl: "de het een en van is dat op te in zijn niet met voor er die ook aan als maar bij wordt door worden om",
};

const WORD_LANGS = new Map<string, number>();
LATIN_LANGUAGES.forEach((lang, i) => {
  for (const w of STOP_WORDS[lang].split(" ")) WORD_LANGS.set(w, (WORD_LANGS.get(w) ?? 0) | (1 << i));
});

/** Script counters, in this order. */
const SCRIPTS = ["latin", "cyrillic", "greek", "arabic", "hebrew", "devanagari", "thai", "han", "kana", "hangul"] as const;
const LATIN = 0, CYRILLIC = 1, GREEK = 2, ARABIC = 3, HEBREW = 4, DEVANAGARI = 5, THAI = 6, HAN = 7, KANA = 8, HANGUL = 9;
/** The language a dominant non-Latin script stands for. */
const SCRIPT_LANGUAGE: Record<number, string> = { [GREEK]: "el", [ARABIC]: "ar", [HEBREW]: "he", [DEVANAGARI]: "hi", [THAI]: "th", [HANGUL]: "ko" };

/** Checkpoint of a LanguageGuesser: plain JSON. */
export interface LanguageGuesserState {
  sampled: number;
  /** Letters seen per script (see SCRIPTS). */
  scripts: number[];
  /** Letters only Ukrainian uses among Cyrillic languages (і ї є ґ). */
  ukrainian: number;
  /** Stop-word hits per Latin language (see LATIN_LANGUAGES). */
  stopWords: number[];
  /** A Latin word the previous piece ended inside. */
  partial: string;
}

/**
 * Resumable language guess over the first LANGUAGE_SAMPLE_CHARS chars: the
 * dominant script decides for non-Latin text; stop words decide among en, de,
 * fr, es, it, pt and nl. Independent of how the text is split.
 */
export class LanguageGuesser {
  private s: LanguageGuesserState = {
    sampled: 0,
    scripts: SCRIPTS.map(() => 0),
    ukrainian: 0,
    stopWords: LATIN_LANGUAGES.map(() => 0),
    partial: "",
  };

  /** Feeds the next piece of text (ignored once the sample is full). */
  update(text: string): this {
    const s = this.s;
    const take = Math.min(text.length, LANGUAGE_SAMPLE_CHARS - s.sampled);
    if (take <= 0) return this;
    s.sampled += take;
    let start = -1;
    for (let i = 0; i < take; i++) {
      const c = text.charCodeAt(i);
      const script = scriptOf(c);
      if (script >= 0) s.scripts[script]!++;
      if (script === CYRILLIC && (c === 0x456 || c === 0x457 || c === 0x454 || c === 0x491 || c === 0x406 || c === 0x407 || c === 0x404 || c === 0x490)) {
        s.ukrainian++;
      }
      if (script === LATIN) {
        if (start < 0) start = i;
        continue;
      }
      if (start >= 0 || (i === 0 && s.partial !== "")) this.word(s.partial + text.slice(start < 0 ? 0 : start, i));
      start = -1;
      s.partial = "";
    }
    if (start >= 0) s.partial = (s.partial + text.slice(start, take)).slice(0, 32);
    return this;
  }

  /** An ISO 639-1 code, or null when the sample is too small or ambiguous. */
  guess(): string | null {
    const s = this.s;
    const stopWords = [...s.stopWords];
    if (s.partial !== "") countWord(s.partial, stopWords);
    let best = 0;
    for (let k = 1; k < SCRIPTS.length; k++) if (s.scripts[k]! > s.scripts[best]!) best = k;
    const letters = s.scripts.reduce((a, b) => a + b, 0);
    if (letters < 20) return null;
    const cjk = s.scripts[HAN]! + s.scripts[KANA]!;
    if (cjk > s.scripts[best]! / 2 && cjk >= s.scripts[HANGUL]!) {
      return s.scripts[KANA]! * 10 >= cjk ? "ja" : "zh";
    }
    if (best === CYRILLIC) return s.ukrainian * 100 >= s.scripts[CYRILLIC]! ? "uk" : "ru";
    if (best !== LATIN) return SCRIPT_LANGUAGE[best] ?? null;
    let first = -1;
    let second = 0;
    for (let k = 0; k < stopWords.length; k++) {
      const v = stopWords[k]!;
      if (first < 0 || v > stopWords[first]!) {
        second = first < 0 ? 0 : stopWords[first]!;
        first = k;
      } else if (v > second) second = v;
    }
    const top = stopWords[first]!;
    if (top < 3 || top < second * 1.2) return null;
    return LATIN_LANGUAGES[first] ?? null;
  }

  /** The JSON checkpoint. */
  toState(): LanguageGuesserState {
    return structuredClone(this.s);
  }

  /** Restores a guesser saved with `toState()`. */
  static fromState(state: LanguageGuesserState): LanguageGuesser {
    const g = new LanguageGuesser();
    g.s = structuredClone(state);
    return g;
  }

  private word(w: string): void {
    countWord(w, this.s.stopWords);
  }
}

function countWord(w: string, counts: number[]): void {
  if (w.length > 8) return;
  const mask = WORD_LANGS.get(w.toLowerCase());
  if (mask === undefined) return;
  for (let k = 0; k < counts.length; k++) if (mask & (1 << k)) counts[k]!++;
}

function scriptOf(c: number): number {
  if (c < 0x80) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? LATIN : -1;
  if ((c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7) || (c >= 0x1e00 && c <= 0x1eff)) return LATIN;
  if (c >= 0x370 && c <= 0x3ff) return GREEK;
  if (c >= 0x400 && c <= 0x4ff) return CYRILLIC;
  if (c >= 0x590 && c <= 0x5ff) return HEBREW;
  if ((c >= 0x600 && c <= 0x6ff) || (c >= 0x750 && c <= 0x77f)) return ARABIC;
  if (c >= 0x900 && c <= 0x97f) return DEVANAGARI;
  if (c >= 0xe00 && c <= 0xe7f) return THAI;
  if (c >= 0x1f00 && c <= 0x1fff) return GREEK;
  if ((c >= 0x1100 && c <= 0x11ff) || (c >= 0x3130 && c <= 0x318f) || (c >= 0xac00 && c <= 0xd7af)) return HANGUL;
  if (c >= 0x3040 && c <= 0x30ff) return KANA;
  if ((c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff)) return HAN;
  return -1;
}
