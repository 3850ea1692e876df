/**
 * How much work one pipeline slice does. Shared by the slice runner and the benchmark's
 * floor (bench/lib/floor.mjs), so both cut the same bytes the same way.
 */

/** Bytes of a text source read per slice (one R2 range request). */
export const SOURCE_SLICE_BYTES = 1 << 20;
/** Longest stored text segment (chars); SQLite rows stay far below the 2 MB limit. */
export const SEGMENT_CHARS = 1 << 18;
/** PDF pages extracted per slice. */
export const PDF_PAGES_PER_SLICE = 10;
/** Characters of text chunked per slice. */
export const CHUNK_WINDOW_CHARS = 1 << 19;
/** Segments fed to SimHash and the language guesser per slice. */
export const ANALYZE_SEGMENTS_PER_SLICE = 8;
/** Chunks written to D1 per slice (one `db.batch`). */
export const INDEX_CHUNKS_PER_SLICE = 1400;
