/**
 * Canonical documents in D1 (row and chunks) and R2 (text). Written by a completing
 * job's slices; read and deleted by the documents routes.
 */
import { and, asc, eq, gt, or, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { chunks, documents, type ChunkRow, type DocumentRow } from "../db/schema";
import type { Env } from "../env";

/** D1 allows 100 bound parameters per statement; a chunk row binds 7. */
const CHUNK_ROWS_PER_STATEMENT = 14;

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

/** Writes chunks in one atomic `db.batch`; re-running it rewrites the same rows. */
export async function storeChunks(env: Env, documentId: string, rows: NewChunk[]): Promise<void> {
  if (rows.length === 0) return;
  const db = drizzle(env.DB);
  const statements = [];
  for (let i = 0; i < rows.length; i += CHUNK_ROWS_PER_STATEMENT) {
    const values = rows.slice(i, i + CHUNK_ROWS_PER_STATEMENT).map((c) => ({ documentId, ...c }));
    statements.push(
      db
        .insert(chunks)
        .values(values)
        .onConflictDoUpdate({
          target: [chunks.documentId, chunks.ordinal],
          set: {
            text: sql`excluded.text`,
            charStart: sql`excluded.char_start`,
            charEnd: sql`excluded.char_end`,
            page: sql`excluded.page`,
            contentHash: sql`excluded.content_hash`,
          },
        }),
    );
  }
  await db.batch(statements as [(typeof statements)[number], ...typeof statements]);
}

export type NewDocument = Omit<DocumentRow, "band0" | "band1" | "band2" | "band3">;

/** The last write of a job: the document becomes visible with everything it points at. */
export async function insertDocument(env: Env, doc: NewDocument): Promise<void> {
  const bands = doc.simhash ? bandsOf(doc.simhash) : [null, null, null, null];
  await drizzle(env.DB)
    .insert(documents)
    .values({ ...doc, band0: bands[0], band1: bands[1], band2: bands[2], band3: bands[3] })
    .onConflictDoNothing();
}

function bandsOf(hex: string): (string | null)[] {
  return [0, 4, 8, 12].map((i) => hex.slice(i, i + 4));
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
  bands: readonly string[],
  distance: (a: string, b: string) => number,
): Promise<string | null> {
  const db = drizzle(env.DB);
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
    const d = distance(c.simhash, simhash);
    if (d <= NEAR_DUPLICATE_DISTANCE && (!best || d < best.d)) best = { id: c.id, d };
  }
  return best?.id ?? null;
}

/** SimHash bits that may differ between near-duplicates (Manku et al., WWW 2007: k = 3). */
export const NEAR_DUPLICATE_DISTANCE = 3;

/** Removes everything a document consists of: text, chunks, row. Idempotent. */
export async function deleteDocumentOutputs(env: Env, job: { projectId: string }, documentId: string): Promise<void> {
  const db = drizzle(env.DB);
  await env.BUCKET.delete(textKey(job.projectId, documentId));
  await db.batch([
    db.delete(chunks).where(eq(chunks.documentId, documentId)),
    db.delete(documents).where(eq(documents.id, documentId)),
  ]);
}

export async function getDocument(env: Env, projectId: string, documentId: string): Promise<DocumentRow | null> {
  const rows = await drizzle(env.DB)
    .select()
    .from(documents)
    .where(and(eq(documents.id, documentId), eq(documents.projectId, projectId)))
    .limit(1);
  return rows[0] ?? null;
}

/** Chunks with `ordinal > after`, in order, one more than `limit` to detect a next page. */
export async function listChunks(env: Env, documentId: string, after: number, limit: number): Promise<ChunkRow[]> {
  return drizzle(env.DB)
    .select()
    .from(chunks)
    .where(and(eq(chunks.documentId, documentId), gt(chunks.ordinal, after)))
    .orderBy(asc(chunks.ordinal))
    .limit(limit + 1);
}

