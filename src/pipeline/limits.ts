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
  // The default MAX_UPLOAD_BYTES (100 MiB): UTF-8 text never decodes to more UTF-16
  // units than it has bytes, so any text file the upload limit accepts fits.
  maxDocumentChars: 104_857_600,
  // One chunk per MIN_CHUNK_SIZE (100) chars of the longest document.
  maxDocumentChunks: 1_048_576,
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
    throw limitExceeded(`more than ${readableCount(limits.maxDocumentChars)} characters (MAX_DOCUMENT_CHARS raises it)`);
  }
  if (counts.chunks !== undefined && counts.chunks > limits.maxDocumentChunks) {
    throw limitExceeded(`more than ${readableCount(limits.maxDocumentChunks)} chunks (MAX_DOCUMENT_CHUNKS raises it)`);
  }
}

/**
 * The fewest characters (UTF-16 units) a plain-text or Markdown source of `bytes` bytes
 * extracts to. UTF-8 spends at most 3 bytes per UTF-16 unit (a 4-byte sequence is two
 * units; an invalid byte becomes one U+FFFD), line endings lose at most one byte in two
 * (CRLF to LF), and a leading BOM (3 bytes) is dropped.
 */
export function leastTextChars(bytes: number): number {
  return Math.max(0, Math.floor((bytes - 3) / 3));
}

/**
 * Why a plain-text or Markdown upload of `bytes` bytes (its declared media type) cannot
 * fit `maxChars` (MAX_DOCUMENT_CHARS) whatever it holds, or null when it may: the job
 * would fail at extraction, so the upload is refused before it is stored.
 */
export function textTooLong(bytes: number, declaredType: string | null, maxChars: number): string | null {
  const type = (declaredType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "text/plain" && type !== "text/markdown") return null;
  const least = leastTextChars(bytes);
  if (least <= maxChars) return null;
  return `Text too long: a ${type} file of ${readableBytes(bytes)} has at least ${readableCount(least)} characters (UTF-8 spends at most 3 bytes on one), more than the limit of ${readableCount(maxChars)} characters per document. Split the file, or raise MAX_DOCUMENT_CHARS.`;
}

/** `n` for people: "950", "12,000", "50 million". */
export function readableCount(n: number): string {
  if (n >= 1_000_000) return `${Number((n / 1_000_000).toFixed(1))} million`;
  return n.toLocaleString("en-US");
}

/** `bytes` for people, in binary units as the limits are set: "512 KiB", "63.2 MiB". */
export function readableBytes(bytes: number): string {
  if (bytes >= 1 << 30) return `${Number((bytes / (1 << 30)).toFixed(1))} GiB`;
  if (bytes >= 1 << 20) return `${Number((bytes / (1 << 20)).toFixed(1))} MiB`;
  if (bytes >= 1 << 10) return `${Number((bytes / (1 << 10)).toFixed(1))} KiB`;
  return `${bytes} bytes`;
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
