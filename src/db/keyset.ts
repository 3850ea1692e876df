/**
 * Newest-first keyset paging on (created_at, id), the order of every list of the API.
 * Rows sharing a millisecond are ordered by id, so a page boundary between them neither
 * skips nor repeats one. A page reads `limit + 1` rows: the extra one only tells that
 * another page follows, and the last row shown is where the next page starts.
 */
import { and, desc, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteSelect } from "drizzle-orm/sqlite-core";

/** Where a page starts: strictly after this (createdAt ms, id) in newest-first order. */
export interface PageKey {
  createdAt: number;
  id: string;
}

/** One page, the key of its last item when more follow, and the count of all that match. */
export interface KeysetPage<T> {
  items: T[];
  next: PageKey | null;
  total: number;
}

/** The columns a table is paged by. */
export interface KeyColumns {
  createdAt: SQLiteColumn;
  id: SQLiteColumn;
}

/**
 * Narrows a select (`.$dynamic()`) of the rows matching `matching` to one page: the rows
 * after `after`, newest first, `limit + 1` of them. Each list's index ends in
 * (created_at, id), so the page is read in index order with no sort.
 */
export function newestFirst<Q extends SQLiteSelect>(query: Q, key: KeyColumns, matching: SQL | undefined, after: PageKey | null, limit: number): Q {
  const where = after ? and(matching, sql`(${key.createdAt}, ${key.id}) < (${after.createdAt}, ${after.id})`) : matching;
  return query
    .where(where)
    .orderBy(desc(key.createdAt), desc(key.id))
    .limit(limit + 1);
}

/** The same bound and order for hand-written SQLite over `created_at` and `id` columns; `where` starts with AND. */
export function newestFirstSql(after: PageKey | null): { where: string; params: (number | string)[]; orderBy: string } {
  return {
    where: after ? "AND (created_at, id) < (?, ?)" : "",
    params: after ? [after.createdAt, after.id] : [],
    orderBy: "ORDER BY created_at DESC, id DESC",
  };
}

/** The page in `rows` (read with `limit + 1`, newest first); `keyOf` gives a row's position. */
export function keysetPage<R>(rows: readonly R[], limit: number, total: number, keyOf: (row: R) => PageKey): KeysetPage<R> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > limit && last ? keyOf(last) : null, total };
}

/** The position of a D1 row, whose columns are named as the key's fields. */
export const rowKey = (row: PageKey): PageKey => ({ createdAt: row.createdAt, id: row.id });
