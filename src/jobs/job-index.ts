/**
 * The D1 listing index of jobs. Each job's Durable Object is the only writer of its
 * row (`upsertJobRow`); the list route only reads (`listProjectJobs`).
 */
import { and, count, desc, eq, isNull, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
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

/** Where a page starts: strictly after this (createdAt, id) in newest-first order. */
export interface JobKey {
  createdAt: number;
  id: string;
}

export interface JobPage {
  items: Job[];
  next: JobKey | null;
  total: number;
}

/**
 * One page of a project's live jobs, newest first, by keyset on (created_at, id) so
 * rows sharing a millisecond are neither skipped nor repeated. Both the page and the
 * count are served by a partial index whose left prefix is `project_id`.
 */
export async function listProjectJobs(d1: D1Database, projectId: string, filters: JobFilters, after: JobKey | null, limit: number): Promise<JobPage> {
  const db = drizzle(d1);
  const [pageQuery, countQuery] = jobListQueries(d1, projectId, filters, after, limit);
  const [rows, totals] = await db.batch([pageQuery, countQuery]);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => JSON.parse(r.data) as Job),
    next: rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null,
    total: totals[0]?.total ?? 0,
  };
}

/** The page query (limit + 1 rows, to know if another page follows) and the count. */
export function jobListQueries(d1: D1Database, projectId: string, filters: JobFilters, after: JobKey | null, limit: number) {
  const db = drizzle(d1);
  const where: SQL[] = [eq(jobs.projectId, projectId), isNull(jobs.deletedAt)];
  if (filters.status) where.push(eq(jobs.status, filters.status));
  if (filters.stage) where.push(eq(jobs.stage, filters.stage));
  if (filters.sourceId !== undefined) where.push(eq(jobs.sourceId, filters.sourceId));
  if (filters.batchId !== undefined) where.push(eq(jobs.batchId, filters.batchId));
  const matching = and(...where);
  const pageWhere = after ? and(matching, sql`(${jobs.createdAt}, ${jobs.id}) < (${after.createdAt}, ${after.id})`) : matching;
  return [
    db
      .select({ data: jobs.data, createdAt: jobs.createdAt, id: jobs.id })
      .from(jobs)
      .where(pageWhere)
      .orderBy(desc(jobs.createdAt), desc(jobs.id))
      .limit(limit + 1),
    db.select({ total: count() }).from(jobs).where(matching),
  ] as const;
}
