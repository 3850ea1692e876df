/**
 * The pipeline's working storage inside the job's object: the checkpoint, the extracted
 * text as bounded segments, the headings found, and the chunk plan. Slices read from
 * here and stage their writes in a closure that the object runs only if the job is still
 * running, together with the job commit (no await in between: one atomic write).
 */
import type { ChunkRecord } from "../documents/chunk-table";
import type { TextSegment } from "../pipeline/segments";
import type { Checkpoint } from "./checkpoint";

export type { Checkpoint } from "./checkpoint";

export type Segment = TextSegment;

/** A planned chunk as the chunk table stores it. */
export interface PlannedChunkRow extends ChunkRecord {
  ordinal: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS pipeline (k INTEGER PRIMARY KEY CHECK (k = 1), data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS text_segments (
  seq INTEGER PRIMARY KEY, char_start INTEGER NOT NULL, byte_start INTEGER NOT NULL, page INTEGER, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS text_segments_byte ON text_segments (byte_start);
CREATE TABLE IF NOT EXISTS headings (offset INTEGER PRIMARY KEY, level INTEGER NOT NULL, title TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunk_plan (
  ordinal INTEGER PRIMARY KEY, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
  byte_start INTEGER NOT NULL, byte_end INTEGER NOT NULL, page INTEGER, content_hash TEXT NOT NULL
);
DROP TABLE IF EXISTS segments;
DROP TABLE IF EXISTS planned_chunks;
`;

type SegmentRow = {
  seq: number;
  char_start: number;
  byte_start: number;
  page: number | null;
  text: string;
};

type ChunkPlanRow = {
  ordinal: number;
  char_start: number;
  char_end: number;
  byte_start: number;
  byte_end: number;
  page: number | null;
  content_hash: string;
};

const toSegment = (r: SegmentRow): Segment => ({ seq: r.seq, charStart: r.char_start, byteStart: r.byte_start, page: r.page, text: r.text });

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
    this.sql.exec(
      "INSERT OR REPLACE INTO text_segments (seq, char_start, byte_start, page, text) VALUES (?, ?, ?, ?, ?)",
      s.seq,
      s.charStart,
      s.byteStart,
      s.page,
      s.text,
    );
  }

  putHeading(offset: number, level: number, title: string): void {
    this.sql.exec("INSERT OR REPLACE INTO headings (offset, level, title) VALUES (?, ?, ?)", offset, level, title);
  }

  putChunk(c: PlannedChunkRow): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO chunk_plan (ordinal, char_start, char_end, byte_start, byte_end, page, content_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      c.ordinal,
      c.charStart,
      c.charEnd,
      c.byteStart,
      c.byteEnd,
      c.page,
      c.contentHash,
    );
  }

  /** Segments from the one containing `charOffset` on, until `minChars` are covered. */
  segmentsFrom(charOffset: number, minChars: number): Segment[] {
    const first = this.sql
      .exec<{ seq: number }>("SELECT seq FROM text_segments WHERE char_start <= ? ORDER BY char_start DESC LIMIT 1", charOffset)
      .toArray()[0];
    if (!first) return [];
    const out: Segment[] = [];
    for (const row of this.sql.exec<SegmentRow>(
      "SELECT seq, char_start, byte_start, page, text FROM text_segments WHERE seq >= ? ORDER BY seq",
      first.seq,
    )) {
      out.push(toSegment(row));
      if (row.char_start + row.text.length - charOffset >= minChars) break;
    }
    return out;
  }

  segment(seq: number): Segment | null {
    const row = this.sql
      .exec<SegmentRow>("SELECT seq, char_start, byte_start, page, text FROM text_segments WHERE seq = ?", seq)
      .toArray()[0];
    return row ? toSegment(row) : null;
  }

  /** Bytes [start, end) of the document text's UTF-8, cut from the segments that hold them. */
  textBytes(start: number, end: number): Uint8Array {
    const out = new Uint8Array(end - start);
    const encoder = new TextEncoder();
    const first = this.sql
      .exec<{ seq: number }>("SELECT seq FROM text_segments WHERE byte_start <= ? ORDER BY byte_start DESC LIMIT 1", start)
      .toArray()[0];
    if (!first) return out;
    for (const row of this.sql.exec<SegmentRow>(
      "SELECT seq, char_start, byte_start, page, text FROM text_segments WHERE seq >= ? AND byte_start < ? ORDER BY seq",
      first.seq,
      end,
    )) {
      const bytes = encoder.encode(row.text);
      const from = Math.max(start, row.byte_start);
      const to = Math.min(end, row.byte_start + bytes.length);
      if (to > from) out.set(bytes.subarray(from - row.byte_start, to - row.byte_start), from - start);
    }
    return out;
  }

  headingOffsets(from: number, to: number): number[] {
    return this.sql
      .exec<{ offset: number }>("SELECT offset FROM headings WHERE offset >= ? AND offset < ? ORDER BY offset", from, to)
      .toArray()
      .map((r) => r.offset);
  }

  /** Planned chunks with ordinals in [from, to), in order. */
  chunks(from: number, to: number): PlannedChunkRow[] {
    return this.sql
      .exec<ChunkPlanRow>(
        `SELECT ordinal, char_start, char_end, byte_start, byte_end, page, content_hash
         FROM chunk_plan WHERE ordinal >= ? AND ordinal < ? ORDER BY ordinal`,
        from,
        to,
      )
      .toArray()
      .map((r) => ({
        ordinal: r.ordinal,
        charStart: r.char_start,
        charEnd: r.char_end,
        byteStart: r.byte_start,
        byteEnd: r.byte_end,
        page: r.page,
        contentHash: r.content_hash,
      }));
  }

  chunkCount(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM chunk_plan").toArray()[0]?.n ?? 0;
  }

  /** Frees the working storage once the job is finished (its outputs live in D1 and R2). */
  clear(): void {
    this.sql.exec("DELETE FROM text_segments; DELETE FROM headings; DELETE FROM chunk_plan;");
  }
}
