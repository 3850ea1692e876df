import { extractHtmlSlice, initialHtmlState, type HtmlExtractState } from "./html";
import { extractMarkdownSlice, initialMarkdownState, type MarkdownExtractState } from "./markdown";
import { extractTextSlice, initialTextState, type TextExtractState } from "./text";

/** The text formats the pipeline extracts incrementally (PDF goes through `./pdf`). */
export type TextKind = "text" | "markdown" | "html";

/** A heading found in the output text. */
export interface Heading {
  /** Char offset (UTF-16 code units) in the output document text where the heading's line starts. */
  offset: number;
  /** 1..6. */
  level: number;
  title: string;
}

/** Resumable extractor state: plain JSON, checkpointed between slices. Discriminated by `kind`. */
export type ExtractState = TextExtractState | MarkdownExtractState | HtmlExtractState;

/** What one slice of extraction produced. */
export interface ExtractSliceResult {
  /** Output text of this slice, to append to the document. */
  text: string;
  /** State to pass to the next slice. */
  state: ExtractState;
  /** Headings completed in this slice (offsets are absolute, ascending across slices). */
  headings: Heading[];
}

/** The state to start extracting a document of `kind`. */
export function initialExtractState(kind: TextKind): ExtractState {
  switch (kind) {
    case "text":
      return initialTextState();
    case "markdown":
      return initialMarkdownState();
    case "html":
      return initialHtmlState();
  }
}

/**
 * Extracts the next piece of a document. `input` is the next decoded piece of
 * the source; `isLast` says no more input follows; `outputOffset` is how many
 * chars of output were produced before this call. The concatenated output and
 * headings are the same however the input is split. `state` is not mutated.
 */
export function extractSlice(input: string, state: ExtractState, isLast: boolean, outputOffset: number): ExtractSliceResult {
  switch (state.kind) {
    case "text":
      return { ...extractTextSlice(input, state), headings: [] };
    case "markdown":
      return extractMarkdownSlice(input, state, isLast, outputOffset);
    case "html":
      return extractHtmlSlice(input, state, isLast, outputOffset);
  }
}

export type { HtmlExtractState, MarkdownExtractState, TextExtractState };
