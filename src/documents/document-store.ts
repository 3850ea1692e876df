/**
 * Canonical documents: the row and dedup bands in D1; the text and the chunk table in
 * R2, side by side (`storage-keys.ts`). Written by a completing job's slices; read and
 * deleted by the documents routes. Every D1 call takes the project's database
 * (`projectDb`), so callers choose it once (and the job's object can meter it).
 */
import { and, asc, count, eq, gte, inArray, lt, or, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { keysetPage, newestFirst, rowKey, type KeysetPage, type PageKey } from "../db/keyset";
import { documents, jobs, type DocumentRow } from "../db/schema";
import { hammingDistance, simhashBands } from "../pipeline/analyze";
import { chunkTableKey, documentKeys } from "../storage-keys";
import { CHUNK_RECORD_BYTES, decodeChunkRecords, type ChunkRecord } from "./chunk-table";

/** What a completing job inserts; the job's path and name are copied in only when its row is purged (src/retention/). */
export type NewDocument = Omit<DocumentRow, "band0" | "band1" | "band2" | "band3" | "sourcePath" | "originalFilename">;

/** The last write of a job: the document becomes visible with everything it points at. */
export async function insertDocument(d1: D1Database, doc: NewDocument): Promise<void> {
  const bands = doc.simhash ? simhashBands(doc.simhash) : [null, null, null, null];
  await drizzle(d1)
    .insert(documents)
    .values({ ...doc, band0: bands[0], band1: bands[1], band2: bands[2], band3: bands[3] })
    .onConflictDoNothing();
}

/**
 * The earliest document of the project with the same content hash, else the nearest
 * one whose SimHash is within `NEAR_DUPLICATE_DISTANCE` bits (candidates share a band).
 */
export async function findDuplicate(d1: D1Database, projectId: string, contentHash: string, simhash: string): Promise<string | null> {
  const bands = simhashBands(simhash);
  const db = drizzle(d1);
  const [exact, near] = await db.batch([
    db
      .select({ id: documents.id })
      .from(documents)
      .where(and(eq(documents.projectId, projectId), eq(documents.contentHash, contentHash)))
      .orderBy(asc(documents.createdAt))
      .limit(1),
    db
      .select({ id: documents.id, simhash: documents.simhash })
      .from(documents)
      .where(
        and(
          eq(documents.projectId, projectId),
          or(eq(documents.band0, bands[0]!), eq(documents.band1, bands[1]!), eq(documents.band2, bands[2]!), eq(documents.band3, bands[3]!)),
        ),
      )
      .limit(200),
  ]);
  if (exact[0]) return exact[0].id;
  let best: { id: string; d: number } | null = null;
  for (const c of near) {
    if (!c.simhash) continue;
    const d = hammingDistance(c.simhash, simhash);
    if (d <= NEAR_DUPLICATE_DISTANCE && (!best || d < best.d)) best = { id: c.id, d };
  }
  return best?.id ?? null;
}

/** SimHash bits that may differ between near-duplicates (Manku et al., WWW 2007: k = 3). */
export const NEAR_DUPLICATE_DISTANCE = 3;

/**
 * Removes everything a document consists of: row (D1), then text and chunk table (R2).
 * Idempotent. The row goes first, so readers stop finding the document before its
 * objects go (a reader that found the row just before sees the objects missing: a 404);
 * the objects' keys follow from the ids, so a retry removes them even once the row is
 * gone. In the same batch, documents that named it their `duplicateOf` stop naming it.
 */
export async function deleteDocumentOutputs(bucket: R2Bucket, d1: D1Database, projectId: string, documentId: string): Promise<void> {
  const db = drizzle(d1);
  await db.batch([
    db.delete(documents).where(and(eq(documents.id, documentId), eq(documents.projectId, projectId))),
    db
      .update(documents)
      .set({ duplicateOf: null })
      .where(and(eq(documents.projectId, projectId), eq(documents.duplicateOf, documentId))),
  ]);
  await bucket.delete(documentKeys(projectId, documentId));
}

export async function getDocument(d1: D1Database, projectId: string, documentId: string): Promise<DocumentRow | null> {
  const rows = await drizzle(d1)
    .select()
    .from(documents)
    .where(and(eq(documents.id, documentId), eq(documents.projectId, projectId)))
    .limit(1);
  return rows[0] ?? null;
}

/** A served chunk: its record and its text. */
export interface ChunkView extends ChunkRecord {
  ordinal: number;
  text: string;
}

/**
 * Chunks [from, from + count) of a document: one range read of its chunk table, then
 * one range read of its text from the first chunk's first byte to the last byte any of
 * them covers. Each `text` is the document text in [charStart, charEnd), cut from the
 * decoded range by char offsets relative to the first chunk's start. Null when an
 * object is gone: the document was deleted after its row was read.
 */
export async function readChunks(
  bucket: R2Bucket,
  doc: Pick<DocumentRow, "projectId" | "id" | "textKey">,
  from: number,
  count: number,
): Promise<ChunkView[] | null> {
  if (count <= 0) return [];
  const table = await bucket.get(chunkTableKey(doc.projectId, doc.id), {
    range: { offset: from * CHUNK_RECORD_BYTES, length: count * CHUNK_RECORD_BYTES },
  });
  if (!table) return null;
  const records = decodeChunkRecords(new Uint8Array(await table.arrayBuffer()));
  const first = records[0];
  if (!first) return [];
  const byteEnd = Math.max(...records.map((r) => r.byteEnd));
  let text = "";
  if (byteEnd > first.byteStart) {
    const body = await bucket.get(doc.textKey, { range: { offset: first.byteStart, length: byteEnd - first.byteStart } });
    if (!body) return null;
    // ignoreBOM: a U+FEFF that opens the range is part of the text, not a marker.
    text = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(await body.arrayBuffer());
  }
  return records.map((r, i) => ({
    ordinal: from + i,
    ...r,
    text: text.slice(r.charStart - first.charStart, r.charEnd - first.charStart),
  }));
}

/** Filters of a documents listing; combined with AND. */
export interface DocumentFilters {
  contentHash?: string;
  language?: string;
  duplicateOf?: string;
  /** A prefix of the producing job's file name or source path. */
  q?: string;
}

/** Above every character a prefix can be followed by, in SQLite's binary (UTF-8) order. */
const PREFIX_END = "\u{10FFFF}";

/**
 * One page of a project's documents, newest first (`db/keyset.ts`), and the count of
 * all that match. Each filter has an index whose left prefix is `project_id` followed
 * by that column, then (created_at, id).
 */
export async function listProjectDocuments(
  d1: D1Database,
  projectId: string,
  filters: DocumentFilters,
  after: PageKey | null,
  limit: number,
): Promise<KeysetPage<DocumentRow>> {
  const [pageQuery, countQuery] = documentListQueries(d1, projectId, filters, after, limit);
  const [rows, totals] = await drizzle(d1).batch([pageQuery, countQuery]);
  return keysetPage(rows, limit, totals[0]?.total ?? 0, rowKey);
}

/** The page query (limit + 1 rows, to know if another page follows) and the count. */
export function documentListQueries(d1: D1Database, projectId: string, filters: DocumentFilters, after: PageKey | null, limit: number) {
  const db = drizzle(d1);
  const where: SQL[] = [eq(documents.projectId, projectId)];
  if (filters.contentHash !== undefined) where.push(eq(documents.contentHash, filters.contentHash));
  if (filters.language !== undefined) where.push(eq(documents.language, filters.language));
  if (filters.duplicateOf !== undefined) where.push(eq(documents.duplicateOf, filters.duplicateOf));
  if (filters.q !== undefined) {
    // Each side is one range of a (project_id, column) index; documents keep their order.
    const { q } = filters;
    const matchingJobs = db
      .select({ id: jobs.id })
      .from(jobs)
      .where(
        and(
          eq(jobs.projectId, projectId),
          or(and(gte(jobs.sourcePath, q), lt(jobs.sourcePath, q + PREFIX_END)), and(gte(jobs.originalFilename, q), lt(jobs.originalFilename, q + PREFIX_END))),
        ),
      );
    // A document whose job retention purged carries the job's path and name itself.
    where.push(
      or(
        inArray(documents.jobId, matchingJobs),
        and(gte(documents.sourcePath, q), lt(documents.sourcePath, q + PREFIX_END)),
        and(gte(documents.originalFilename, q), lt(documents.originalFilename, q + PREFIX_END)),
      )!,
    );
  }
  const matching = and(...where);
  return [
    newestFirst(db.select().from(documents).$dynamic(), documents, matching, after, limit),
    db.select({ total: count() }).from(documents).where(matching),
  ] as const;
}
