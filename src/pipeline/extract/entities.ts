/**
 * HTML character references, decoded by the `entities` package (the full HTML5 table,
 * legacy references without `;` included, as browsers read text content). The HTML
 * extractor calls `decodeReference` at each `&`; a reference cut at a slice edge is
 * reported `incomplete`, and the extractor carries it into the next slice.
 */
import { decodeHTML, DecodingMode, HtmlEntityDecoder } from "entities";

/**
 * Longest reference looked at after `&` (the longest HTML5 name is 31 chars plus `;`).
 * Bounding what the decoder sees keeps the result independent of where slices split.
 */
export const MAX_ENTITY_LENGTH = 40;

let decoded = "";
let consumedByDecoder = 0;
const decoder = new HtmlEntityDecoder((cp, consumed) => {
  decoded += String.fromCodePoint(cp);
  consumedByDecoder = consumed;
});

export type Reference = { text: string; end: number } | "none" | "incomplete";

/**
 * The reference at `buf[j] === "&"`: its text and the index after it; "none" when `&` is
 * a plain ampersand; "incomplete" when the slice ends inside it and more input follows.
 * A no-break space comes out as a plain space, so it collapses with other whitespace.
 */
export function decodeReference(buf: string, j: number, isLast: boolean): Reference {
  const piece = buf.slice(j, j + MAX_ENTITY_LENGTH + 1);
  decoded = "";
  consumedByDecoder = 0;
  decoder.startEntity(DecodingMode.Legacy);
  let consumed = decoder.write(piece, 1);
  if (consumed < 0) {
    if (!isLast && j + piece.length >= buf.length && piece.length <= MAX_ENTITY_LENGTH) return "incomplete";
    consumed = decoder.end();
  }
  if (consumed <= 0 || decoded === "") return "none";
  return { text: decoded === "\u00a0" ? " " : decoded, end: j + (consumedByDecoder || consumed) };
}

/** Decodes every reference in a complete string (small captured values such as the title). */
export function decodeEntities(s: string): string {
  return decodeHTML(s, DecodingMode.Legacy);
}
