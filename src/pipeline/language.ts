/**
 * The document's language, guessed by `tinyld` (62 languages) from the start of its
 * text. tinyld is not resumable, so the guesser keeps the sample itself: a few KB in
 * the checkpoint, the same however the text arrives.
 */
import { detectAll } from "tinyld";

/** Only this many chars at the start of a document are looked at (tinyld needs far fewer). */
export const LANGUAGE_SAMPLE_CHARS = 4096;
/** Below this tinyld accuracy the guess is "unsure" (a list of random words scores ~0.06). */
const MIN_ACCURACY = 0.15;
/** Fewer letters than this are too few to guess from. */
const MIN_LETTERS = 20;

/** Checkpoint of a LanguageGuesser: plain JSON. */
export interface LanguageGuesserState {
  /** The first LANGUAGE_SAMPLE_CHARS chars of the text. */
  sample: string;
}

/** Resumable language guess over the first LANGUAGE_SAMPLE_CHARS chars. Independent of how the text is split. */
export class LanguageGuesser {
  private s: LanguageGuesserState = { sample: "" };

  /** Feeds the next piece of text (ignored once the sample is full). */
  update(text: string): this {
    const room = LANGUAGE_SAMPLE_CHARS - this.s.sample.length;
    if (room > 0) this.s.sample += text.slice(0, room);
    return this;
  }

  /** An ISO 639-1 code, or null when the sample is too small or the guess unsure. */
  guess(): string | null {
    const letters = this.s.sample.match(/\p{L}/gu)?.length ?? 0;
    if (letters < MIN_LETTERS) return null;
    const best = detectAll(this.s.sample)[0];
    return best && best.accuracy >= MIN_ACCURACY ? best.lang : null;
  }

  /** The JSON checkpoint. */
  toState(): LanguageGuesserState {
    return { ...this.s };
  }

  /** Restores a guesser saved with `toState()` (a checkpoint of the older hand-written guesser starts over). */
  static fromState(state: LanguageGuesserState): LanguageGuesser {
    const g = new LanguageGuesser();
    if (typeof state?.sample === "string") g.s = { sample: state.sample };
    return g;
  }
}
