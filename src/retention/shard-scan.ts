/**
 * The purger's D1 statements over one shard (docs/retention.md). Each read is one range
 * of a partial index from migration 0008 and repeats that index's WHERE, so it reads
 * the rows it returns and no others (D1 bills rows read): finished rows by age, those of
 * projects with an override per project, deleted rows by deletion time, the sweep's
 * active rows by their last write, and expired idempotency claims. Deletes go through
 * `projectDb`, one statement per project and table (two for jobs: their documents keep
 * the job's path and name), so whatever mirrors a project's writes sees them too.
 */
import { FINISHED_WHERE, SWEPT_WHERE } from "../db/schema";
import { projectDb } from "../db/shards";
import type { Env } from "../env";
import { DAY_MS } from "./policy";

/** The tables retention purges rows of; each row is one object (a job or a batch). */
export type PurgedTable = "jobs" | "batches";

/** One row the purger looked at. */
export interface ScannedRow {
  id: string;
  projectId: string;
  updatedAt: number;
  /** The project's override, when it has one. */
  retentionDays: number | null;
}

/** A keyset position in (updated_at, id) order; the start is `{ at: -1, id: "" }`. */
export interface ScanCursor {
  at: number;
  id: string;
}

export const SCAN_START: ScanCursor = { at: -1, id: "" };

type Row = { id: string; project_id: string; updated_at: number; retention_days: number | null };
const toRow = (r: Row): ScannedRow => ({ id: r.id, projectId: r.project_id, updatedAt: r.updated_at, retentionDays: r.retention_days });

/** The same predicate with the table's alias, so SQLite matches it to the partial index. */
const finishedAs = (alias: string) => FINISHED_WHERE.replace("deleted_at", `${alias}.deleted_at`).replace("status", `${alias}.status`);

export class ShardScan {
  /** `db`: the shard's database, metered by the purger. */
  constructor(private readonly db: D1Database) {}

  /** Changes to the project overrides since the last look (count and newest write): a rescan is due when it differs. */
  async settingsVersion(): Promise<string> {
    const row = await this.db.prepare("SELECT count(*) AS n, coalesce(max(updated_at), 0) AS at FROM project_settings").first<{ n: number; at: number }>();
    return `${row?.n ?? 0}:${row?.at ?? 0}`;
  }

  /** Deleted rows deleted at or before `before`, oldest first. */
  async deleted(table: PurgedTable, before: number, limit: number): Promise<ScannedRow[]> {
    const { results } = await this.db
      .prepare(
        `SELECT id, project_id, deleted_at AS updated_at, NULL AS retention_days FROM ${table}
         WHERE deleted_at IS NOT NULL AND deleted_at <= ?1 ORDER BY deleted_at LIMIT ?2`,
      )
      .bind(before, limit)
      .all<Row>();
    return results.map(toRow);
  }

  /**
   * Finished rows of projects with an override, each past its own project's retention as
   * of `now`: the (few) overrides are the outer loop, each one range of
   * `<table>_project_finished_updated` (CROSS JOIN keeps SQLite to that order).
   */
  async pastOverrides(table: PurgedTable, now: number, limit: number): Promise<ScannedRow[]> {
    const { results } = await this.db
      .prepare(
        `SELECT t.id, t.project_id, t.updated_at, s.retention_days
         FROM project_settings s CROSS JOIN ${table} t
         WHERE s.retention_days IS NOT NULL AND t.project_id = s.project_id AND ${finishedAs("t")}
           AND t.updated_at <= ?1 - s.retention_days * ${DAY_MS}
         LIMIT ?2`,
      )
      .bind(now, limit)
      .all<Row>();
    return results.map(toRow);
  }

  /**
   * Finished rows that finished at or before `before` (the default retention's cut-off),
   * after `cursor` in (updated_at, id) order, with their project's override if any. Rows of
   * projects with an override are for `pastOverrides`; the caller moves the cursor past
   * them, so each alarm reads at most `limit` rows whatever the overrides.
   */
  async pastDefault(table: PurgedTable, before: number, cursor: ScanCursor, limit: number): Promise<ScannedRow[]> {
    const { results } = await this.db
      .prepare(
        `SELECT t.id, t.project_id, t.updated_at, s.retention_days
         FROM ${table} t LEFT JOIN project_settings s ON s.project_id = t.project_id
         WHERE ${finishedAs("t")} AND t.updated_at <= ?1 AND (t.updated_at > ?2 OR (t.updated_at = ?2 AND t.id > ?3))
         ORDER BY t.updated_at, t.id LIMIT ?4`,
      )
      .bind(before, cursor.at, cursor.id, limit)
      .all<Row>();
    return results.map(toRow);
  }

  /** Jobs that should be moving whose row was last written at or before `before`, after `cursor`. */
  async silentJobs(before: number, cursor: ScanCursor, limit: number): Promise<ScannedRow[]> {
    const { results } = await this.db
      .prepare(
        `SELECT id, project_id, updated_at, NULL AS retention_days FROM jobs
         WHERE ${SWEPT_WHERE} AND updated_at <= ?1 AND (updated_at > ?2 OR (updated_at = ?2 AND id > ?3))
         ORDER BY updated_at, id LIMIT ?4`,
      )
      .bind(before, cursor.at, cursor.id, limit)
      .all<Row>();
    return results.map(toRow);
  }

  /** Idempotency claims that expired at or before `now`. */
  async expiredClaims(now: number, limit: number): Promise<{ projectId: string; key: string }[]> {
    const { results } = await this.db
      .prepare("SELECT project_id, key FROM idempotency_keys WHERE expires_at <= ?1 LIMIT ?2")
      .bind(now, limit)
      .all<{ project_id: string; key: string }>();
    return results.map((r) => ({ projectId: r.project_id, key: r.key }));
  }
}

/**
 * Deletes the rows `ids` of one project's `table`: one statement, through the project's
 * database (`meter` counts it).
 */
export async function deleteProjectRows(env: Env, meter: (db: D1Database) => D1Database, table: PurgedTable, projectId: string, ids: string[]): Promise<void> {
  const db = meter(projectDb(env, projectId));
  const list = JSON.stringify(ids);
  // `+project_id`: the ids' primary key finds the rows; an index on project_id would read all the project's.
  const remove = db.prepare(`DELETE FROM ${table} WHERE +project_id = ?1 AND id IN (SELECT value FROM json_each(?2))`).bind(projectId, list);
  if (table === "batches") {
    await remove.run();
    return;
  }
  // The documents search finds a document by its job's path and name: they move onto the
  // document before the job's row goes (one batch: both or neither).
  const keepNames = db
    .prepare(
      `UPDATE documents SET (source_path, original_filename) = (SELECT j.source_path, j.original_filename FROM jobs j WHERE j.id = documents.job_id)
       WHERE id IN (SELECT json_extract(j.data, '$.canonicalDocumentId') FROM json_each(?2) e CROSS JOIN jobs j WHERE j.id = e.value AND j.project_id = ?1)`,
    )
    .bind(projectId, list);
  await db.batch([keepNames, remove]);
}

/** Deletes one project's expired claims among `keys` (a claim renewed meanwhile stays). */
export async function deleteExpiredClaims(env: Env, meter: (db: D1Database) => D1Database, projectId: string, keys: string[], now: number): Promise<void> {
  await meter(projectDb(env, projectId))
    .prepare("DELETE FROM idempotency_keys WHERE project_id = ?1 AND key IN (SELECT value FROM json_each(?2)) AND expires_at <= ?3")
    .bind(projectId, JSON.stringify(keys), now)
    .run();
}

/** `items` grouped by project, in first-seen order. */
export function byProject<T extends { projectId: string }>(items: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(item.projectId);
    if (group) group.push(item);
    else groups.set(item.projectId, [item]);
  }
  return groups;
}
