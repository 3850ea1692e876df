/**
 * The D1 listing index of batches: one small row per batch, written only by the batch's
 * Durable Object (on creation, on each status change, and at most every few seconds for
 * counts), read by `GET /batches`. Versions from the object's commit counter keep an older
 * write from overwriting a newer one.
 */
import { and, count, desc, eq, isNull, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { batches } from "../db/schema";
import type { Batch, BatchKind, BatchStatus } from "./lifecycle";

export async function upsertBatchRow(d1: D1Database, batch: Batch, version: number, deletedAt: string | null): Promise<void> {
  const row = {
    id: batch.id,
    projectId: batch.projectId,
    kind: batch.kind,
    status: batch.status,
    createdBy: batch.createdBy,
    createdAt: Date.parse(batch.createdAt),
    updatedAt: Date.parse(batch.updatedAt),
    deletedAt: deletedAt ? Date.parse(deletedAt) : null,
    version,
    data: JSON.stringify(batch),
  };
  const { id: _id, projectId: _p, createdAt: _c, createdBy: _b, kind: _k, ...changing } = row;
  await drizzle(d1)
    .insert(batches)
    .values(row)
    .onConflictDoUpdate({ target: batches.id, set: changing, setWhere: sql`excluded.version >= ${batches.version}` });
}

export interface BatchFilters {
  status?: BatchStatus;
  kind?: BatchKind;
}

export interface BatchKey {
  createdAt: number;
  id: string;
}

/** One page of a project's batches, newest first, by keyset on (created_at, id). */
export async function listProjectBatches(d1: D1Database, projectId: string, filters: BatchFilters, after: BatchKey | null, limit: number) {
  const db = drizzle(d1);
  const where: SQL[] = [eq(batches.projectId, projectId), isNull(batches.deletedAt)];
  if (filters.status) where.push(eq(batches.status, filters.status));
  if (filters.kind) where.push(eq(batches.kind, filters.kind));
  const matching = and(...where);
  const pageWhere = after ? and(matching, sql`(${batches.createdAt}, ${batches.id}) < (${after.createdAt}, ${after.id})`) : matching;
  const [rows, totals] = await db.batch([
    db
      .select({ data: batches.data, createdAt: batches.createdAt, id: batches.id })
      .from(batches)
      .where(pageWhere)
      .orderBy(desc(batches.createdAt), desc(batches.id))
      .limit(limit + 1),
    db.select({ total: count() }).from(batches).where(matching),
  ]);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => JSON.parse(r.data) as Batch),
    next: rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null,
    total: totals[0]?.total ?? 0,
  };
}
