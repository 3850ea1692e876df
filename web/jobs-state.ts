/**
 * The jobs list as a pure value: pages from `GET /jobs`, the project stream's snapshot
 * and frames are all folded in here, so the order (newest first), the filters and the
 * rule that a job never goes backwards (progress never decreases, a finished job stays
 * finished) live in one place the views only read.
 */
import { isTerminal as isTerminalStatus, JOB_STAGES, type Job, type JobEvent, type JobFilters, type JobSummary } from "../src/client/types";

export interface JobsList {
  jobs: Job[];
  /** Cursor of the next page of `GET /jobs`; null once every page is loaded. */
  nextCursor: string | null;
  /** Whether the first page has arrived. */
  loaded: boolean;
  total: number | null;
}

export const emptyList = (): JobsList => ({ jobs: [], nextCursor: null, loaded: false, total: null });

/** Newest first: `createdAt` DESC, then `id` DESC, as the API orders them. */
function newestFirst(a: Job, b: Job): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export function matchesFilters(job: Pick<Job, "status" | "stage" | "sourceId">, f: JobFilters): boolean {
  return (!f.status || job.status === f.status) && (!f.stage || job.stage === f.stage) && (!f.sourceId || job.sourceId === f.sourceId);
}

const isTerminal = (j: Pick<Job, "status">) => isTerminalStatus(j.status);

/**
 * Folds newer knowledge of a job into what is shown: a finished job is never reopened by
 * a late frame, and progress and stage never go backwards.
 */
export function mergeJob<T extends JobSummary>(old: T, next: Partial<Job> & JobSummary): T {
  if (isTerminal(old) && !isTerminal(next)) return old;
  const stage = isTerminal(next) || JOB_STAGES.indexOf(next.stage) >= JOB_STAGES.indexOf(old.stage) ? next.stage : old.stage;
  return { ...old, ...next, stage, progress: Math.max(old.progress, next.progress) };
}

/** Whether a job belongs on the loaded part of the list (not beyond the next cursor). */
function withinLoaded(list: JobsList, job: Job): boolean {
  const oldest = list.jobs[list.jobs.length - 1];
  return list.nextCursor === null || !oldest || newestFirst(job, oldest) <= 0;
}

/** Adds or refreshes full jobs (a page, a snapshot, a fetched job). */
export function upsertJobs(list: JobsList, jobs: Job[], filters: JobFilters): JobsList {
  const byId = new Map(list.jobs.map((j) => [j.id, j]));
  for (const job of jobs) {
    const old = byId.get(job.id);
    if (old) byId.set(job.id, mergeJob(old, job));
    else if (matchesFilters(job, filters) && withinLoaded(list, job)) byId.set(job.id, job);
  }
  return { ...list, jobs: [...byId.values()].sort(newestFirst) };
}

/** Appends a page of `GET /jobs`. */
export function addPage(list: JobsList, page: { items: Job[]; nextCursor: string | null; total?: number }, filters: JobFilters): JobsList {
  const merged = upsertJobs({ ...list, nextCursor: null }, page.items, filters);
  return { ...merged, nextCursor: page.nextCursor, loaded: true, total: page.total ?? list.total };
}

export type FrameOutcome =
  | { list: JobsList; fetch: null }
  /** A job the list does not know yet: fetch it in full, then `upsertJobs`. */
  | { list: JobsList; fetch: string };

/** Applies one job frame from the project stream. */
export function applyFrame(list: JobsList, frame: JobEvent): FrameOutcome {
  if (frame.type === "job.deleted") return { list: { ...list, jobs: list.jobs.filter((j) => j.id !== frame.jobId) }, fetch: null };
  const index = list.jobs.findIndex((j) => j.id === frame.jobId);
  if (index < 0) return { list, fetch: frame.jobId };
  const jobs = list.jobs.slice();
  jobs[index] = mergeJob(jobs[index]!, frame.job);
  // A finished job's full shape (errors, document, completedAt) is worth one fetch.
  return { list: { ...list, jobs }, fetch: isTerminal(frame.job) && !isTerminal(list.jobs[index]!) ? frame.jobId : null };
}

/**
 * Applies a `project.snapshot` (a summary of each QUEUED and RUNNING job). Returns the
 * ids to fetch in full: snapshot jobs the list does not know yet, and jobs shown as
 * unfinished that the snapshot no longer lists (they finished, or were deleted, while
 * the stream was away).
 */
export function applySnapshot(list: JobsList, snapshot: JobSummary[]): { list: JobsList; fetch: string[] } {
  const live = new Map(snapshot.map((j) => [j.id, j]));
  const fetch = list.jobs.filter((j) => !isTerminal(j) && !live.has(j.id)).map((j) => j.id);
  const jobs = list.jobs.map((j) => {
    const now = live.get(j.id);
    return now ? mergeJob(j, now) : j;
  });
  const known = new Set(list.jobs.map((j) => j.id));
  for (const j of snapshot) if (!known.has(j.id)) fetch.push(j.id);
  return { list: { ...list, jobs }, fetch };
}

export function removeJob(list: JobsList, jobId: string): JobsList {
  return { ...list, jobs: list.jobs.filter((j) => j.id !== jobId) };
}
