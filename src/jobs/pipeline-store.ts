/**
 * The pipeline's working storage inside the job's object: the checkpoint, the extracted
 * text as bounded segments, the headings found, and the planned chunks. Slices read from
 * here and stage their writes in a closure that the object runs only if the job is still
 * running, together with the job commit (no await in between: one atomic write).
 */
import type { NewChunk } from "../documents/document-store";
import type { ChunkCursor } from "../pipeline/chunker";
import type { ExtractState } from "../pipeline/extract";
import type { TextSegment } from "../pipeline/segments";
import type { Sha256State } from "../pipeline/sha256";

/** Everything a slice needs to resume where the last committed one stopped. */
export interface Checkpoint {
  documentId: string;
  /** EXTRACTING: source bytes consumed, held-back partial UTF-8 bytes, extractor state. */
  sourceOffset: number;
  carry: number[];
  extract: ExtractState | null;
  /** Offset of the last heading stored (headings closer than MIN_HEADING_GAP are not). */
  lastHeading?: number | null;
  pdfPages: number | null;
  pagesDone: number;
  /** PDF extraction slices as measured before parsing (absent in checkpoints older than the limits). */
  pdfSlices?: { ends: number[]; bytes: number[] } | null;
  /** The most decoded bytes one extraction slice has parsed so far (tests read it). */
  heaviestSliceBytes?: number;
  /** Output so far: characters (UTF-16 units), UTF-8 bytes, segments, running hash. */
  chars: number;
  textBytes: number;
  segments: number;
  sha: Sha256State | null;
  contentHash: string | null;
  /** CHUNKING. */
  chunk: ChunkCursor;
  /** ANALYZING (deep scan). */
  analyzedSegments: number;
  simhasher: unknown;
  language: unknown;
  analysis: { simhash: string; language: string | null; duplicateOf: string | null } | null;
  /** INDEXING. */
  textStored: boolean;
  chunksIndexed: number;
  title: string | null;
}

export type Segment = TextSegment;

/** A planned chunk: offsets and hash; its text is cut from the segments when indexed. */
export type PlannedChunkRow = Omit<NewChunk, "text">;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS pipeline (k INTEGER PRIMARY KEY CHECK (k = 1), data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS segments (seq INTEGER PRIMARY KEY, char_start INTEGER NOT NULL, page INTEGER, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS headings (offset INTEGER PRIMARY KEY, level INTEGER NOT NULL, title TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS planned_chunks (
  ordinal INTEGER PRIMARY KEY, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
  page INTEGER, content_hash TEXT NOT NULL
);
`;

export class PipelineStore {
  constructor(private readonly storage: DurableObjectStorage) {
    storage.sql.exec(SCHEMA);
  }

  private get sql() {
    return this.storage.sql;
  }

  checkpoint(): Checkpoint | null {
    const row = this.sql.exec<{ data: string }>("SELECT data FROM pipeline WHERE k = 1").toArray()[0];
    return row ? (JSON.parse(row.data) as Checkpoint) : null;
  }

  saveCheckpoint(cp: Checkpoint): void {
    this.sql.exec(
      "INSERT INTO pipeline (k, data) VALUES (1, ?) ON CONFLICT (k) DO UPDATE SET data = excluded.data",
      JSON.stringify(cp),
    );
  }

  /** Idempotent: a replayed slice rewrites the same rows. */
  putSegment(s: Segment): void {
    this.sql.exec("INSERT OR REPLACE INTO segments (seq, char_start, page, text) VALUES (?, ?, ?, ?)", s.seq, s.charStart, s.page, s.text);
  }

  putHeading(offset: number, level: number, title: string): void {
    this.sql.exec("INSERT OR REPLACE INTO headings (offset, level, title) VALUES (?, ?, ?)", offset, level, title);
  }

  putChunk(c: PlannedChunkRow): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO planned_chunks (ordinal, char_start, char_end, page, content_hash) VALUES (?, ?, ?, ?, ?)",
      c.ordinal,
      c.charStart,
      c.charEnd,
      c.page,
      c.contentHash,
    );
  }

  /** Segments from the one containing `charOffset` on, until `minChars` are covered. */
  segmentsFrom(charOffset: number, minChars: number): Segment[] {
    const first = this.sql
      .exec<{ seq: number }>("SELECT seq FROM segments WHERE char_start <= ? ORDER BY char_start DESC LIMIT 1", charOffset)
      .toArray()[0];
    if (!first) return [];
    const out: Segment[] = [];
    let covered = 0;
    for (const row of this.sql.exec<{ seq: number; char_start: number; page: number | null; text: string }>(
      "SELECT seq, char_start, page, text FROM segments WHERE seq >= ? ORDER BY seq",
      first.seq,
    )) {
      out.push({ seq: row.seq, charStart: row.char_start, page: row.page, text: row.text });
      covered = row.char_start + row.text.length - charOffset;
      if (covered >= minChars) break;
    }
    return out;
  }

  segment(seq: number): Segment | null {
    const row = this.sql
      .exec<{ seq: number; char_start: number; page: number | null; text: string }>(
        "SELECT seq, char_start, page, text FROM segments WHERE seq = ?",
        seq,
      )
      .toArray()[0];
    return row ? { seq: row.seq, charStart: row.char_start, page: row.page, text: row.text } : null;
  }

  headingOffsets(from: number, to: number): number[] {
    return this.sql
      .exec<{ offset: number }>("SELECT offset FROM headings WHERE offset >= ? AND offset < ? ORDER BY offset", from, to)
      .toArray()
      .map((r) => r.offset);
  }

  /** Planned chunks from `fromOrdinal` on, with their text cut from the segments. */
  chunkTexts(fromOrdinal: number, limit: number): NewChunk[] {
    const rows = this.sql
      .exec<{ ordinal: number; char_start: number; char_end: number; page: number | null; content_hash: string }>(
        "SELECT ordinal, char_start, char_end, page, content_hash FROM planned_chunks WHERE ordinal >= ? ORDER BY ordinal LIMIT ?",
        fromOrdinal,
        limit,
      )
      .toArray();
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (!first || !last) return [];
    const segments = this.segmentsFrom(first.char_start, last.char_end - first.char_start);
    const base = segments[0]?.charStart ?? first.char_start;
    const text = segments.map((s) => s.text).join("");
    return rows.map((r) => ({
      ordinal: r.ordinal,
      charStart: r.char_start,
      charEnd: r.char_end,
      page: r.page,
      text: text.slice(r.char_start - base, r.char_end - base),
      contentHash: r.content_hash,
    }));
  }

  chunkCount(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM planned_chunks").toArray()[0]?.n ?? 0;
  }

  /** Frees the working storage once the job is finished (its outputs live in D1 and R2). */
  clear(): void {
    this.sql.exec("DELETE FROM segments; DELETE FROM headings; DELETE FROM planned_chunks;");
  }
}
