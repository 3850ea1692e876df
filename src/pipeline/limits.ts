/**
 * How much work one pipeline slice does. Shared by the slice runner and the benchmark's
 * floor (bench/lib/floor.mjs), so both cut the same bytes the same way.
 */
import { PipelineError } from "./errors";

/** Bytes of a text source read per slice (one R2 range request). */
export const SOURCE_SLICE_BYTES = 1 << 20;
/** Longest stored text segment (chars); SQLite rows stay far below the 2 MB limit. */
export const SEGMENT_CHARS = 1 << 18;
/** PDF pages extracted per slice. */
export const PDF_PAGES_PER_SLICE = 10;
/**
 * Work a stored row stands for, in bytes of the alarm's budget (`AlarmWorkBudget`): a
 * flood of headings costs far more per source byte than plain text.
 */
export const ROW_WORK_BYTES = 64;
/** Characters of text chunked per slice. */
export const CHUNK_WINDOW_CHARS = 1 << 19;
/** Segments fed to SimHash and the language guesser per slice. */
export const ANALYZE_SEGMENTS_PER_SLICE = 8;

/**
 * Per-document limits (config, see `src/config.ts`): a job that passes one fails at
 * once with `LIMIT_EXCEEDED`, as soon as the limit is seen, not after doing the work.
 */
export interface DocumentLimits {
  /** Distinct pages of a PDF (MAX_PDF_PAGES). */
  maxPdfPages: number;
  /** Size of a PDF file: pdf.js holds all of it in memory (MAX_PDF_BYTES). */
  maxPdfBytes: number;
  /** Extracted characters (UTF-16 units) of one document (MAX_DOCUMENT_CHARS). */
  maxDocumentChars: number;
  /** Chunks of one document (MAX_DOCUMENT_CHUNKS). */
  maxDocumentChunks: number;
  /** Decoded bytes of one PDF stream; inflation stops past it (MAX_PDF_STREAM_BYTES). */
  maxPdfStreamBytes: number;
  /** Decoded content bytes of all pages together, shared streams counted per page (MAX_PDF_DECODED_BYTES). */
  maxPdfDecodedBytes: number;
  /** Decoded content bytes one extraction slice may parse (SLICE_DECODED_BYTES). */
  sliceDecodedBytes: number;
}

/** The defaults, each well above real documents. */
export const DEFAULT_DOCUMENT_LIMITS: DocumentLimits = {
  maxPdfPages: 10_000,
  maxPdfBytes: 32 * 1024 * 1024,
  maxDocumentChars: 50_000_000,
  // One chunk per MIN_CHUNK_SIZE (100) chars of the longest document.
  maxDocumentChunks: 500_000,
  // pdf.js parses content at roughly 5–10 MB/s in workerd: 4 MiB is about half a second.
  maxPdfStreamBytes: 4 * 1024 * 1024,
  maxPdfDecodedBytes: 512 * 1024 * 1024,
  sliceDecodedBytes: 4 * 1024 * 1024,
};

/** The permanent failure of a job that passed a limit; the message names the limit. */
export function limitExceeded(what: string): PipelineError {
  return new PipelineError("LIMIT_EXCEEDED", `LIMIT_EXCEEDED: ${what}`, true);
}

/** What a document has produced so far, as far as a slice knows it. */
export interface DocumentCounts {
  pages?: number;
  chars?: number;
  chunks?: number;
}

/** Throws `LIMIT_EXCEEDED` when a count passes its limit. */
export function checkLimits(limits: DocumentLimits, counts: DocumentCounts): void {
  if (counts.pages !== undefined && counts.pages > limits.maxPdfPages) {
    throw limitExceeded(`more than ${limits.maxPdfPages} pages`);
  }
  if (counts.chars !== undefined && counts.chars > limits.maxDocumentChars) {
    throw limitExceeded(`more than ${limits.maxDocumentChars} characters`);
  }
  if (counts.chunks !== undefined && counts.chunks > limits.maxDocumentChunks) {
    throw limitExceeded(`more than ${limits.maxDocumentChunks} chunks`);
  }
}

/**
 * How many slices one alarm runs back to back, by the bytes they parsed: another slice
 * runs only if it would likely stay within `budget` (SLICE_DECODED_BYTES), judging the
 * next slice by the last. `Date.now()` does not advance during pure CPU in workerd, so a
 * wall-clock budget alone would let heavy slices pile up in one alarm.
 */
export class AlarmWorkBudget {
  private used = 0;

  constructor(private readonly budget: number) {}

  /** Records a slice that parsed `bytes`; true if another like it still fits. */
  allowsAnother(bytes: number): boolean {
    this.used += bytes;
    return this.used + bytes <= this.budget;
  }
}
