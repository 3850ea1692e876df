/**
 * A source that yields no text ends FAILED with `EMPTY_DOCUMENT`, never COMPLETED with
 * 0 characters: both extraction stages note whether a slice produced text and check at
 * their last slice.
 */
import { emptyDocument } from "../../pipeline/errors";
import type { ExtractingCheckpoint } from "../checkpoint";

const NON_SPACE = /\S/;

/**
 * Records in `next` whether the text so far has anything but whitespace, and throws
 * `EMPTY_DOCUMENT` when this is the last slice and it has none. A checkpoint saved
 * before the flag existed counts any character as text.
 */
export function noteText(cp: ExtractingCheckpoint, next: ExtractingCheckpoint, text: string, isLast: boolean, source: "pdf" | "html" | "text"): void {
  next.sawText = (cp.sawText ?? cp.chars > 0) || NON_SPACE.test(text);
  if (isLast && !next.sawText) throw emptyDocument(source);
}
