import { normalizeNewlines } from "./newlines";

/** Resumable state of the plain-text extractor. */
export interface TextExtractState {
  kind: "text";
  started: boolean;
  cr: boolean;
}

/** State before the first slice of a plain-text document. */
export function initialTextState(): TextExtractState {
  return { kind: "text", started: false, cr: false };
}

/** Plain text passes through, with line endings normalised to LF and a leading BOM removed. */
export function extractTextSlice(input: string, state: TextExtractState): { text: string; state: TextExtractState } {
  const next = { ...state };
  return { text: normalizeNewlines(input, next), state: next };
}
