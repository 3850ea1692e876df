/**
 * The D1 listing index of jobs. Each job's Durable Object is the only writer of its
 * row (`upsertJobRow`); the list route only reads (`listProjectJobs`).
 */
import { and, count, eq, isNull, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { keysetPage, newestFirst, rowKey, type KeysetPage, type PageKey } from "../db/keyset";
import { jobs } from "../db/schema";
import type { Job, JobStage, JobStatus } from "./lifecycle";

/**
 * Writes the job's row unless the stored one is at least as new. Versions come from
 * the object's commit counter, so a slow, older write can never overwrite a newer one.
 */
export async function upsertJobRow(d1: D1Database, job: Job, version: number): Promise<void> {
  const row = {
    id: job.id,
    projectId: job.projectId,
    sourceId: job.sourceId,
    sourcePath: job.sourcePath,
    originalFilename: job.originalFilename,
    mimeType: job.mimeType,
    byteSize: job.byteSize,
    status: job.status,
    stage: job.stage,
    progress: job.progress,
    createdBy: job.createdBy,
    createdAt: Date.parse(job.createdAt),
    updatedAt: Date.parse(job.updatedAt),
    deletedAt: job.deletedAt ? Date.parse(job.deletedAt) : null,
    version,
    data: JSON.stringify(job),
    fingerprint: job.fingerprint ?? null,
    batchId: job.batchId ?? null,
  };
  const { id: _id, projectId: _p, createdAt: _c, createdBy: _b, ...changing } = row;
  await drizzle(d1)
    .insert(jobs)
    .values(row)
    .onConflictDoUpdate({
      target: jobs.id,
      set: changing,
      setWhere: sql`excluded.version > ${jobs.version}`,
    });
}

/** Filters of a listing; combined with AND. */
export interface JobFilters {
  status?: JobStatus;
  stage?: JobStage;
  sourceId?: string;
  batchId?: string;
}

/**
 * One page of a project's live jobs, newest first (`db/keyset.ts`). Both the page and
 * the count are served by a partial index whose left prefix is `project_id`.
 */
export async function listProjectJobs(d1: D1Database, projectId: string, filters: JobFilters, after: PageKey | null, limit: number): Promise<KeysetPage<Job>> {
  const [pageQuery, countQuery] = jobListQueries(d1, projectId, filters, after, limit);
  const [rows, totals] = await drizzle(d1).batch([pageQuery, countQuery]);
  const page = keysetPage(rows, limit, totals[0]?.total ?? 0, rowKey);
  return { ...page, items: page.items.map((r) => JSON.parse(r.data) as Job) };
}

/** The page query (limit + 1 rows, to know if another page follows) and the count. */
export function jobListQueries(d1: D1Database, projectId: string, filters: JobFilters, after: PageKey | null, limit: number) {
  const db = drizzle(d1);
  const where: SQL[] = [eq(jobs.projectId, projectId), isNull(jobs.deletedAt)];
  if (filters.status) where.push(eq(jobs.status, filters.status));
  if (filters.stage) where.push(eq(jobs.stage, filters.stage));
  if (filters.sourceId !== undefined) where.push(eq(jobs.sourceId, filters.sourceId));
  if (filters.batchId !== undefined) where.push(eq(jobs.batchId, filters.batchId));
  const matching = and(...where);
  return [
    newestFirst(db.select({ data: jobs.data, createdAt: jobs.createdAt, id: jobs.id }).from(jobs).$dynamic(), jobs, matching, after, limit),
    db.select({ total: count() }).from(jobs).where(matching),
  ] as const;
}

/** A COMPLETED job found by its fingerprint. */
export interface IngestedJob {
  fingerprint: string;
  jobId: string;
  documentId: string | null;
}

/**
 * The newest live COMPLETED job of each fingerprint whose document still exists: one statement over the
 * `jobs_project_fingerprint` index, the fingerprints passed as one JSON array (D1 binds
 * at most 100 parameters), at most one row per fingerprint.
 */
export async function findIngestedJobs(d1: D1Database, projectId: string, fingerprints: string[]): Promise<Map<string, IngestedJob>> {
  const { results } = await d1
    .prepare(
      `SELECT fingerprint, id, json_extract(data, '$.canonicalDocumentId') AS document_id, max(created_at) AS created_at
       FROM jobs
       WHERE project_id = ?1 AND deleted_at IS NULL AND fingerprint IN (SELECT value FROM json_each(?2)) AND status = 'COMPLETED'
         AND json_extract(data, '$.documentDeleted') IS NOT 1
       GROUP BY fingerprint`,
    )
    .bind(projectId, JSON.stringify(fingerprints))
    .all<{ fingerprint: string; id: string; document_id: string | null }>();
  return new Map(results.map((r) => [r.fingerprint, { fingerprint: r.fingerprint, jobId: r.id, documentId: r.document_id }]));
}
