import { decodeEntities } from "./entities";

/** A character that can begin markup a title sheds. */
const MARKUP_CHAR = /[[!<`*_~&\\]/;

/**
 * The plain text of a heading's Markdown source: images dropped (a README's badges),
 * links replaced by their text, HTML tags, emphasis and code marks removed, entities
 * and backslash escapes decoded, whitespace collapsed.
 */
export function headingText(source: string): string {
  // Most headings are plain words: no markup to look for.
  if (!MARKUP_CHAR.test(source)) return source.replace(/\s+/g, " ").trim();
  let s = source;
  // Images, also inside links: `![alt](url)`, `![alt][ref]`; HTML images and tags.
  s = s.replace(/!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])?/g, "");
  s = s.replace(/<img\b[^>]*>/gi, "");
  // Links: `[text](url)`, `[text][ref]` and `[text]` (a reference) keep their text.
  for (let before = ""; before !== s; ) {
    before = s;
    s = s.replace(/\[([^[\]]*)\](?:\([^)]*\)|\[[^\]]*\])?/g, "$1");
  }
  s = s.replace(/<(https?:[^>\s]+)>/gi, "$1");
  s = s.replace(/<\/?[A-Za-z][^>]*>/g, "");
  // Code spans keep their text; emphasis marks around words go.
  s = s.replace(/(`+)([^`]*?)\1/g, "$2");
  s = s.replace(/(\*{1,3}|_{1,3}|~~)(?=\S)([^]*?\S)\1(?![A-Za-z0-9])/g, "$2");
  s = s.replace(/\\([!-/:-@[-`{-~])/g, "$1");
  return decodeEntities(s).replace(/\s+/g, " ").trim();
}
