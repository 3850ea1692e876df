/**
 * A document's chunk table as fixed-width binary records, stored in R2 next to its
 * text. Record `n` starts at byte `n * CHUNK_RECORD_BYTES`, so any page of chunks is
 * one range read. Pure: encodes and decodes bytes only.
 *
 * Layout (little-endian): charStart u32, charEnd u32, byteStart u32, byteEnd u32,
 * page u32 (0 = no page, else the page number + 1), SHA-256 (32 bytes).
 * Offsets fit in 32 bits: a document has at most MAX_DOCUMENT_CHARS (about 10⁸ by default) chars,
 * so at most about 3·10⁸ UTF-8 bytes.
 */
import { toHex } from "../bytes";

export const CHUNK_RECORD_BYTES = 52;

/** One chunk's place in the document: char offsets (UTF-16), UTF-8 byte offsets, page, hash. */
export interface ChunkRecord {
  charStart: number;
  charEnd: number;
  byteStart: number;
  byteEnd: number;
  page: number | null;
  /** Hex SHA-256 of the chunk's UTF-8 text. */
  contentHash: string;
}

/** A chunk's place as the chunking stage knows it: its record without the hash. */
export type ChunkPlace = Omit<ChunkRecord, "contentHash">;

/** Encodes `records` back to back. */
export function encodeChunkRecords(records: ChunkRecord[]): Uint8Array {
  const out = new Uint8Array(records.length * CHUNK_RECORD_BYTES);
  const view = new DataView(out.buffer);
  records.forEach((r, i) => writeChunkRecord(view, i, r, hexBytes(r.contentHash)));
  return out;
}

/**
 * Writes record `index` into `view` (a table of records starting at its offset 0) from
 * a chunk's place and its raw 32-byte SHA-256: the chunking stage's path, with no hex.
 */
export function writeChunkRecord(view: DataView, index: number, r: ChunkPlace, sha256: Uint8Array): void {
  const at = index * CHUNK_RECORD_BYTES;
  view.setUint32(at, r.charStart, true);
  view.setUint32(at + 4, r.charEnd, true);
  view.setUint32(at + 8, r.byteStart, true);
  view.setUint32(at + 12, r.byteEnd, true);
  view.setUint32(at + 16, r.page === null ? 0 : r.page + 1, true);
  new Uint8Array(view.buffer, view.byteOffset + at + 20, 32).set(sha256);
}

/** Decodes whole records from `bytes` (a trailing partial record is an error). */
export function decodeChunkRecords(bytes: Uint8Array): ChunkRecord[] {
  if (bytes.length % CHUNK_RECORD_BYTES !== 0) throw new Error("Chunk table read is not a whole number of records");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: ChunkRecord[] = [];
  for (let at = 0; at < bytes.length; at += CHUNK_RECORD_BYTES) {
    const page = view.getUint32(at + 16, true);
    out.push({
      charStart: view.getUint32(at, true),
      charEnd: view.getUint32(at + 4, true),
      byteStart: view.getUint32(at + 8, true),
      byteEnd: view.getUint32(at + 12, true),
      page: page === 0 ? null : page - 1,
      contentHash: toHex(bytes.subarray(at + 20, at + CHUNK_RECORD_BYTES)),
    });
  }
  return out;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
