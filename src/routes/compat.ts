/**
 * The seed's compatibility routes, addressed by job id alone. A job the caller cannot
 * see is "not found" here, never 403, so ids of other projects leak nothing.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../http/app-env";
import { badRequest, forbidden, Problem } from "../http/problem";
import { chargeRateLimits, projectBudget } from "../http/rate-limit";
import type { Job as JobData } from "../jobs/lifecycle";
import { isJobId } from "../jobs/ids";
import type { JobReply } from "../jobs/job-access";
import type { BatchReply } from "../batches/ingest-batch";
import type { Batch as BatchData } from "../batches/lifecycle";
import { jobOrThrow, jobStub, PROJECT_MESSAGES } from "./access";
import { batchStub, endingIntake } from "./batches";
import { CompatCancelled, CompatJob } from "../contract/compat";
import { ApiRequestHeaders, apiResponseHeaders } from "../contract/headers";
import { Job } from "../contract/job";
import { CompatJobParams, JobIdParams } from "../contract/params";
import { problems } from "../contract/problem";
import { validationHook } from "./validation";

export const compatRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const SEED_STATUS = {
  QUEUED: "pending",
  RUNNING: "running",
  COMPLETED: "completed",
  FAILED: "failed",
  CANCELLED: "cancelled",
} as const;

/**
 * The seed's job shape. One job ingests one source file, so the seed's paper/PDF
 * counters are 0 or 1 each (see README, "Compatibility counters").
 */
export function toSeedJob(job: JobData): CompatJob {
  const c = job.counters;
  const sourceRead = c.bytesRead >= job.byteSize ? 1 : 0;
  const extracted = job.stage !== "EXTRACTING" && job.stage !== "PENDING" ? 1 : 0;
  const created = job.status === "COMPLETED" ? 1 : 0;
  return {
    job_id: job.id,
    status: SEED_STATUS[job.status],
    progress: {
      papers_fetched: sourceRead,
      papers_created: created,
      papers_updated: 0,
      pdfs_downloaded: sourceRead,
      pdfs_processed: extracted,
      errors: job.errors.map((e) => e.message),
    },
    created_at: job.createdAt,
    started_at: job.startedAt,
    completed_at: job.completedAt,
    errors: job.errors.map((e) => ({
      timestamp: e.at,
      // Limit failures already read "LIMIT_EXCEEDED: ..."; others get their code in front.
      error: e.message.startsWith(`${e.code}: `) ? e.message : `${e.code}: ${e.message}`,
      stage: e.stage.toLowerCase(),
    })),
    stats: {
      bytes_read: c.bytesRead,
      pages: c.pagesExtracted,
      characters: c.charactersExtracted,
      chunks: c.chunksCreated,
      chunks_indexed: c.chunksIndexed,
      duplicates_found: c.duplicatesFound,
      progress: job.progress,
    },
  };
}

/**
 * A batch in the seed's shape (DESIGN §13): items received count as papers fetched and
 * PDFs downloaded, completed items as papers created and PDFs processed, unless the
 * batch's kind keeps the seed's own counters in `stats` (arXiv harvests).
 */
export function toSeedBatch(batch: BatchData) {
  const c = batch.counts;
  const stat = (name: string, fallback: number) => {
    const value = batch.stats[name];
    return typeof value === "number" ? value : fallback;
  };
  return {
    job_id: batch.id,
    status: SEED_STATUS[batch.status],
    progress: {
      papers_fetched: stat("papers_fetched", c.total),
      papers_created: stat("papers_created", c.completed),
      papers_updated: stat("papers_updated", 0),
      pdfs_downloaded: stat("pdfs_downloaded", c.total),
      pdfs_processed: stat("pdfs_processed", c.completed),
      errors: batch.errors.map((e) => e.message),
    },
    created_at: batch.createdAt,
    started_at: batch.startedAt,
    completed_at: batch.completedAt,
    errors: batch.errors.map((e) => ({
      timestamp: e.at,
      error: e.message.startsWith(`${e.code}: `) ? e.message : `${e.code}: ${e.message}`,
      stage: e.stage.toLowerCase(),
    })),
    stats: { ...c, ...batch.stats },
  };
}

/** The batch behind a seed route's id, when there is one the caller can see (its project charged). */
async function lookUpBatch(c: Context<AppEnv>, id: string): Promise<BatchReply> {
  if (!isJobId(id)) return { ok: false, reason: "not_found" };
  const reply = (await batchStub(c.env, id).get({ principal: c.get("principal") })) as BatchReply;
  if (reply.ok) await chargeRateLimits(c, [projectBudget(c, reply.batch.projectId)]);
  return reply;
}

/**
 * Looks the job up first (to learn its project), charges the request to that project
 * (the caller's own budget was charged by the `rateLimit` middleware), and returns the
 * reply. Ids that are not UUIDs are not found without waking an object.
 */
async function lookUp(c: Context<AppEnv>, jobId: string): Promise<JobReply> {
  if (!isJobId(jobId)) return { ok: false, reason: "not_found" };
  const reply = await jobStub(c.env, jobId).get({ principal: c.get("principal") });
  if (reply.ok) await chargeRateLimits(c, [projectBudget(c, reply.job.projectId)]);
  return reply;
}

/**
 * DESIGN's compatibility section: an unexpected failure of a seed route answers 500 with
 * the seed's own wording and a short generic cause, never the error's message or stack
 * (those go to the log). Problems (404, 429, ...) pass through unchanged.
 */
async function seedFailure<T>(action: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof Problem) throw err;
    console.error(JSON.stringify({ msg: "seed route failed", action, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
    throw new Problem(500, `${action}: storage unavailable`);
  }
}

compatRoutes.openapi(
  createRoute({
    method: "get",
    path: "/api/v1/ingestion/job/{job_id}",
    summary: "Get a job (seed-compatible shape)",
    request: { params: CompatJobParams, headers: ApiRequestHeaders },
    responses: {
      200: { description: "The job", headers: apiResponseHeaders(), content: { "application/json": { schema: CompatJob } } },
      ...problems(401, 403, 404, 429, 500),
    },
  }),
  async (c) => {
    const id = c.req.valid("param").job_id;
    const reply = await seedFailure("Failed to get job status", () => lookUp(c, id));
    if (!reply.ok && reply.reason === "not_found") {
      const batch = await seedFailure("Failed to get job status", () => lookUpBatch(c, id));
      if (batch.ok) return c.json(toSeedBatch(batch.batch), 200);
      if (batch.reason === "forbidden") throw forbidden();
    }
    return c.json(toSeedJob(jobOrThrow(reply, { notFound: "Job not found" })), 200);
  },
);

compatRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/api/v1/ingestion/job/{job_id}",
    summary: "Cancel a job (seed-compatible)",
    request: { params: CompatJobParams, headers: ApiRequestHeaders },
    responses: {
      200: { description: "Cancelled", headers: apiResponseHeaders(), content: { "application/json": { schema: CompatCancelled } } },
      ...problems(400, 401, 403, 429, 500),
    },
  }),
  async (c) => {
    const jobId = c.req.valid("param").job_id;
    const reply = await seedFailure("Failed to cancel job", async (): Promise<JobReply | BatchReply> => {
      const found = await lookUp(c, jobId);
      if (found.ok) return await jobStub(c.env, jobId).cancel({ principal: c.get("principal") });
      if (found.reason !== "not_found") return found;
      const batch = await lookUpBatch(c, jobId);
      return batch.ok ? ((await endingIntake(jobId, () => batchStub(c.env, jobId).cancel({ principal: c.get("principal") }))) as BatchReply) : batch;
    });
    if (!reply.ok && reply.reason === "forbidden") throw forbidden();
    if (!reply.ok) throw badRequest("Job could not be cancelled");
    return c.json({ message: `Job ${jobId} cancelled successfully` }, 200);
  },
);

compatRoutes.openapi(
  createRoute({
    method: "post",
    path: "/api/jobs/{jobId}/cancel",
    summary: "Cancel a job by id alone",
    request: { params: JobIdParams, headers: ApiRequestHeaders },
    responses: {
      200: { description: "The cancelled job", headers: apiResponseHeaders(), content: { "application/json": { schema: Job } } },
      ...problems(400, 401, 403, 404, 429),
    },
  }),
  async (c) => {
    const jobId = c.req.valid("param").jobId;
    const found = await lookUp(c, jobId);
    const reply = found.ok ? await jobStub(c.env, jobId).cancel({ principal: c.get("principal") }) : found;
    return c.json(jobOrThrow(reply, PROJECT_MESSAGES), 200);
  },
);
