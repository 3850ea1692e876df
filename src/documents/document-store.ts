/**
 * Canonical documents in D1 (row and chunks) and R2 (text). Written by a completing
 * job's slices; read and deleted by the documents routes.
 */
import { and, asc, eq, gt, or } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { chunks, documents, type ChunkRow, type DocumentRow } from "../db/schema";
import { projectDb } from "../db/shards";
import type { Env } from "../env";
import { hammingDistance, simhashBands } from "../pipeline/analyze";

/** Chunks per INSERT: about 200 KB of JSON, well under D1's statement and row limits. */
const CHUNKS_PER_STATEMENT = 200;

// "WHERE true" resolves SQLite's parsing ambiguity between an upsert's ON and a join.
const INSERT_CHUNKS = `
INSERT INTO chunks (document_id, ordinal, text, char_start, char_end, page, content_hash)
SELECT ?1, value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', value ->> '$[3]', value ->> '$[4]', value ->> '$[5]'
FROM json_each(?2) WHERE true
ON CONFLICT (document_id, ordinal) DO UPDATE SET
  text = excluded.text, char_start = excluded.char_start, char_end = excluded.char_end,
  page = excluded.page, content_hash = excluded.content_hash`;

export function textKey(projectId: string, documentId: string): string {
  return `documents/${projectId}/${documentId}.txt`;
}

/** Streams the text to R2; `byteLength` must be exact (R2 needs a known length). */
export async function storeText(env: Env, key: string, byteLength: number, body: ReadableStream<Uint8Array>): Promise<void> {
  const fixed = new FixedLengthStream(byteLength);
  const [put] = await Promise.all([
    env.BUCKET.put(key, fixed.readable, { httpMetadata: { contentType: "text/plain; charset=utf-8" } }),
    body.pipeTo(fixed.writable),
  ]);
  if (!put) throw new Error("R2 refused the document text");
}

export interface NewChunk {
  ordinal: number;
  charStart: number;
  charEnd: number;
  page: number | null;
  text: string;
  contentHash: string;
}

/**
 * Writes chunks in one atomic `db.batch`; re-running it rewrites the same rows. Rows go
 * as one JSON parameter per statement, expanded by SQLite's `json_each`: D1 allows 100
 * bound parameters per statement, which would otherwise mean 14 chunks per statement.
 */
export async function storeChunks(env: Env, projectId: string, documentId: string, rows: NewChunk[]): Promise<void> {
  const db = projectDb(env, projectId);
  const insert = db.prepare(INSERT_CHUNKS);
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < rows.length; i += CHUNKS_PER_STATEMENT) {
    const part = rows.slice(i, i + CHUNKS_PER_STATEMENT).map((c) => [c.ordinal, c.text, c.charStart, c.charEnd, c.page, c.contentHash]);
    statements.push(insert.bind(documentId, JSON.stringify(part)));
  }
  if (statements.length > 0) await db.batch(statements);
}

export type NewDocument = Omit<DocumentRow, "band0" | "band1" | "band2" | "band3">;

/** The last write of a job: the document becomes visible with everything it points at. */
export async function insertDocument(env: Env, doc: NewDocument): Promise<void> {
  const bands = doc.simhash ? simhashBands(doc.simhash) : [null, null, null, null];
  await drizzle(projectDb(env, doc.projectId))
    .insert(documents)
    .values({ ...doc, band0: bands[0], band1: bands[1], band2: bands[2], band3: bands[3] })
    .onConflictDoNothing();
}

/**
 * The earliest document of the project with the same content hash, else the nearest
 * one whose SimHash is within `NEAR_DUPLICATE_DISTANCE` bits (candidates share a band).
 */
export async function findDuplicate(
  env: Env,
  projectId: string,
  contentHash: string,
  simhash: string,
): Promise<string | null> {
  const bands = simhashBands(simhash);
  const db = drizzle(projectDb(env, projectId));
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
          or(
            eq(documents.band0, bands[0]!),
            eq(documents.band1, bands[1]!),
            eq(documents.band2, bands[2]!),
            eq(documents.band3, bands[3]!),
          ),
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
 * Removes everything a document consists of: text, chunks, row. Idempotent. `d1` is the
 * project's shard (a route passes its request's session, so the caller's bookmark covers it).
 */
export async function deleteDocumentOutputs(
  env: Env,
  job: { projectId: string },
  documentId: string,
  d1: D1Database = projectDb(env, job.projectId),
): Promise<void> {
  const db = drizzle(d1);
  await env.BUCKET.delete(textKey(job.projectId, documentId));
  await db.batch([
    db.delete(chunks).where(eq(chunks.documentId, documentId)),
    db.delete(documents).where(eq(documents.id, documentId)),
  ]);
}

/** The document, read from `d1`: the project's shard or the request's session on it. */
export async function getDocument(d1: D1Database, projectId: string, documentId: string): Promise<DocumentRow | null> {
  const rows = await drizzle(d1)
    .select()
    .from(documents)
    .where(and(eq(documents.id, documentId), eq(documents.projectId, projectId)))
    .limit(1);
  return rows[0] ?? null;
}

/** Chunks with `ordinal > after`, in order, one more than `limit` to detect a next page. */
export async function listChunks(d1: D1Database, documentId: string, after: number, limit: number): Promise<ChunkRow[]> {
  return drizzle(d1)
    .select()
    .from(chunks)
    .where(and(eq(chunks.documentId, documentId), gt(chunks.ordinal, after)))
    .orderBy(asc(chunks.ordinal))
    .limit(limit + 1);
}

