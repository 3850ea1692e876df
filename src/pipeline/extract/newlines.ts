/** Line-ending state carried between slices: whether input started (BOM handled) and whether the last piece ended in CR. */
export interface NewlineState {
  started: boolean;
  cr: boolean;
}

/**
 * Strips a leading BOM (on the first non-empty piece) and turns CRLF and lone CR
 * into LF. A CR at the end of one piece and an LF at the start of the next are
 * one line break, so the result does not depend on where the input was split.
 * Mutates `st`.
 */
export function normalizeNewlines(input: string, st: NewlineState): string {
  if (input.length === 0) return "";
  let s = input;
  if (!st.started) {
    st.started = true;
    if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  }
  if (st.cr && s.charCodeAt(0) === 10) s = s.slice(1);
  st.cr = input.charCodeAt(input.length - 1) === 13;
  return s.indexOf("\r") >= 0 ? s.replace(/\r\n?/g, "\n") : s;
}
