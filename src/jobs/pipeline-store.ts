/**
 * The pipeline's working storage inside the job's object: the checkpoint, the extracted
 * text (as bounded segments, or, for text written through to R2, only the tail not yet
 * in an uploaded part), the headings found, and the chunk plan. Slices read from here and
 * stage their writes in a closure that the object runs only if the job is still running,
 * together with the job commit (no await in between: one atomic write). The tables are
 * created by the first slice, not by the object's constructor: a create never pays for them.
 */
import { CHUNK_RECORD_BYTES } from "../documents/chunk-table";
import type { TextSegment } from "../pipeline/segments";
import type { Checkpoint } from "./checkpoint";

export type { Checkpoint } from "./checkpoint";

export type Segment = TextSegment;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS pipeline (k INTEGER PRIMARY KEY CHECK (k = 1), data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS text_segments (
  seq INTEGER PRIMARY KEY, char_start INTEGER NOT NULL, byte_start INTEGER NOT NULL, page INTEGER, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS text_segments_byte ON text_segments (byte_start);
CREATE TABLE IF NOT EXISTS headings (offset INTEGER PRIMARY KEY, level INTEGER NOT NULL, title TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunk_blocks (first_ordinal INTEGER PRIMARY KEY, records BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS text_tail (byte_start INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
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

const toSegment = (r: SegmentRow): Segment => ({ seq: r.seq, charStart: r.char_start, byteStart: r.byte_start, page: r.page, text: r.text });

export class PipelineStore {
  private ready = false;

  constructor(private readonly storage: DurableObjectStorage) {}

  private get sql() {
    if (!this.ready) {
      this.storage.sql.exec(SCHEMA);
      this.ready = true;
    }
    return this.storage.sql;
  }

  checkpoint(): Checkpoint | null {
    const row = this.sql.exec<{ data: string }>("SELECT data FROM pipeline WHERE k = 1").toArray()[0];
    return row ? (JSON.parse(row.data) as Checkpoint) : null;
  }

  saveCheckpoint(cp: Checkpoint): void {
    this.sql.exec("INSERT INTO pipeline (k, data) VALUES (1, ?) ON CONFLICT (k) DO UPDATE SET data = excluded.data", JSON.stringify(cp));
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

  /**
   * One chunking slice's chunk records (chunk-table.ts layout), the first with ordinal
   * `first`: one row per slice, not per chunk. Idempotent: a replayed slice rewrites
   * the same block.
   */
  putChunkBlock(first: number, records: Uint8Array): void {
    this.sql.exec("INSERT OR REPLACE INTO chunk_blocks (first_ordinal, records) VALUES (?, ?)", first, records);
  }

  /** Segments from the one containing `charOffset` on, until `minChars` are covered. */
  segmentsFrom(charOffset: number, minChars: number): Segment[] {
    const first = this.sql
      .exec<{ seq: number }>("SELECT seq FROM text_segments WHERE char_start <= ? ORDER BY char_start DESC LIMIT 1", charOffset)
      .toArray()[0];
    if (!first) return [];
    const out: Segment[] = [];
    for (const row of this.sql.exec<SegmentRow>("SELECT seq, char_start, byte_start, page, text FROM text_segments WHERE seq >= ? ORDER BY seq", first.seq)) {
      out.push(toSegment(row));
      if (row.char_start + row.text.length - charOffset >= minChars) break;
    }
    return out;
  }

  segment(seq: number): Segment | null {
    const row = this.sql.exec<SegmentRow>("SELECT seq, char_start, byte_start, page, text FROM text_segments WHERE seq = ?", seq).toArray()[0];
    return row ? toSegment(row) : null;
  }

  /** Bytes [start, end) of the document text's UTF-8, cut from the segments that hold them. */
  textBytes(start: number, end: number): Uint8Array {
    const out = new Uint8Array(end - start);
    const encoder = new TextEncoder();
    const first = this.sql.exec<{ seq: number }>("SELECT seq FROM text_segments WHERE byte_start <= ? ORDER BY byte_start DESC LIMIT 1", start).toArray()[0];
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

  /** Bytes [start, end) of the chunk table, cut from the blocks that hold them. */
  chunkTableBytes(start: number, end: number): Uint8Array {
    const out = new Uint8Array(end - start);
    const fromOrdinal = Math.floor(start / CHUNK_RECORD_BYTES);
    const first = this.sql.exec<{ f: number | null }>("SELECT max(first_ordinal) AS f FROM chunk_blocks WHERE first_ordinal <= ?", fromOrdinal).one().f;
    for (const row of this.sql.exec<{ first_ordinal: number; records: ArrayBuffer }>(
      "SELECT first_ordinal, records FROM chunk_blocks WHERE first_ordinal >= ? AND first_ordinal * ? < ? ORDER BY first_ordinal",
      first ?? 0,
      CHUNK_RECORD_BYTES,
      end,
    )) {
      const at = row.first_ordinal * CHUNK_RECORD_BYTES;
      const records = new Uint8Array(row.records);
      const from = Math.max(start, at);
      const to = Math.min(end, at + records.length);
      if (to > from) out.set(records.subarray(from - at, to - at), from - start);
    }
    return out;
  }

  chunkCount(): number {
    const bytes = this.sql.exec<{ n: number }>("SELECT coalesce(sum(length(records)), 0) AS n FROM chunk_blocks").one().n;
    return bytes / CHUNK_RECORD_BYTES;
  }

  /**
   * Text written through: keeps `bytes` (the text's UTF-8 from byte `start`) until they
   * are in an uploaded part, and drops every kept piece that ends at or before `written`
   * (the bytes the uploaded parts hold). Idempotent: a replayed slice rewrites the same row.
   */
  keepTail(written: number, start: number, bytes: Uint8Array): void {
    this.sql.exec("DELETE FROM text_tail WHERE byte_start + length(bytes) <= ?", written);
    if (bytes.length) this.sql.exec("INSERT OR REPLACE INTO text_tail (byte_start, bytes) VALUES (?, ?)", start, bytes);
  }

  /** Text written through: the kept bytes from byte `from` on, in order. */
  tailFrom(from: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const row of this.sql.exec<{ byte_start: number; bytes: ArrayBuffer }>("SELECT byte_start, bytes FROM text_tail ORDER BY byte_start")) {
      const bytes = new Uint8Array(row.bytes);
      const end = row.byte_start + bytes.length;
      if (end > from) out.push(bytes.subarray(Math.max(0, from - row.byte_start)));
    }
    return out;
  }

  /** Frees the working storage once the job is finished (its outputs live in D1 and R2). */
  clear(): void {
    this.sql.exec("DELETE FROM text_segments; DELETE FROM headings; DELETE FROM chunk_blocks; DELETE FROM text_tail;");
  }
}
