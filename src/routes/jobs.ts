/** Project-scoped job routes (DESIGN §4), base `/api/projects/{projectId}/ingest`. */
import { createRoute, OpenAPIHono, type z } from "@hono/zod-openapi";
import { loadConfig } from "../config";
import type { AppEnv } from "../http/app-env";
import { BookmarkRequestHeaders, bookmarkResponseHeader, projectSession, recordWriteBookmark } from "../http/bookmark";
import { decodeCursor, encodeCursor } from "../http/cursor";
import { badRequest, conflict, Problem } from "../http/problem";
import { ABANDONED_CLAIM_MS, claimIdempotencyKey, releaseIdempotencyKey, takeOverAbandonedClaim } from "../jobs/idempotency";
import { uuidv7 } from "../jobs/ids";
import { listProjectJobs, type JobKey } from "../jobs/job-index";
import type { Access } from "../jobs/ingest-job";
import type { Job as JobData, JobInit } from "../jobs/lifecycle";
import { sourceKey } from "../jobs/slice-runner";
import { DEFAULT_CHUNK_OPTIONS, validateChunkOptions } from "../pipeline/chunker";
import { ServerTiming } from "../http/server-timing";
import { storeBufferedUpload, storeStreamedUpload, type StoredUpload } from "../uploads/store-upload";
import { requireOpenBatch } from "./batches";
import { SourceReservation } from "./source-reservation";
import { enterProject, jobOrThrow, jobStub, PROJECT_MESSAGES, requireJobId } from "./access";
import { CreateJobFields, FIELD_MAX_LENGTH, fieldLengthMessage, Job, JobList, JobParams, ListJobsQuery, problems, ProjectParams } from "./schemas";
import { validationHook } from "./validation";

export const jobRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const BASE = "/api/projects/{projectId}/ingest";
/** Multipart framing allowance on top of MAX_UPLOAD_BYTES. */
const MULTIPART_OVERHEAD = 64 * 1024;
/** How long a request that lost an idempotency race waits for the winner's job. */
const IDEMPOTENT_WAIT_MS = 5_000;

const createJob = createRoute({
  method: "post",
  path: `${BASE}/jobs`,
  summary: "Create an ingest job by uploading a source file",
  description:
    "Multipart (`file` plus fields) for small files, or a raw body with the file's Content-Type, a Content-Length and `?filename=`, streamed straight to R2, for large ones.",
  request: {
    params: ProjectParams,
    query: CreateJobFields,
    headers: BookmarkRequestHeaders,
    body: {
      required: true,
      content: {
        // A plain schema, not zod: the handler parses multipart itself (see below).
        "multipart/form-data": {
          schema: {
            allOf: [
              { $ref: "#/components/schemas/CreateJobFields" },
              { type: "object", properties: { file: { type: "string", format: "binary" } }, required: ["file"] },
            ],
          },
        },
        "application/pdf": { schema: { type: "string", format: "binary" } },
        "text/plain": { schema: { type: "string" } },
        "text/markdown": { schema: { type: "string" } },
        "text/html": { schema: { type: "string" } },
      },
    },
  },
  responses: {
    201: { description: "Created", headers: bookmarkResponseHeader, content: { "application/json": { schema: Job } } },
    200: { description: "The job first created with this Idempotency-Key", headers: bookmarkResponseHeader, content: { "application/json": { schema: Job } } },
    ...problems(400, 401, 403, 409, 411, 413, 415, 429),
  },
});

jobRoutes.openAPIRegistry.register("CreateJobFields", CreateJobFields);

jobRoutes.openapi(
  createJob,
  // The body is read by the handler: the raw form streams, and the multipart fields go
  // through the same `CreateJobFields` schema as the query.
  async (c) => {
    const { projectId } = c.req.valid("param");
    const access = await enterProject(c, projectId, "create");
    const config = loadConfig(c.env);
    const idempotencyKey = c.req.header("Idempotency-Key");
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
      throw badRequest(`${fieldLengthMessage("Idempotency-Key")}, visible ASCII only`);
    }
    const jobId = uuidv7();
    const key = sourceKey({ projectId, id: jobId });
    const reservation = new SourceReservation(c.env, { projectId, id: jobId });
    const timing = new ServerTiming();
    const isMultipart = (c.req.header("Content-Type") ?? "").toLowerCase().startsWith("multipart/form-data");
    const { fields, upload, filename } = await (isMultipart
      ? receiveMultipart(c.req.raw, c.env, key, config.maxUploadBytes, reservation)
      : receiveRaw(c.req.raw, c.req.valid("query"), c.env, key, config.maxUploadBytes, reservation)
    ).catch(async (err: unknown) => {
      await reservation.release();
      throw err;
    });
    timing.mark("upload");

    if (idempotencyKey !== undefined) {
      const claim = await claimIdempotencyKey(projectSession(c, projectId), projectId, idempotencyKey, jobId, upload.sha256).catch(async (err) => {
        await reservation.release();
        throw err;
      });
      if (!claim.won) {
        if (claim.requestHash !== upload.sha256) {
          await reservation.release();
          throw conflict("Idempotency-Key was already used with a different file");
        }
        const first = await awaitJob(c.env, claim.jobId, access);
        if (first) {
          await reservation.release();
          return c.json(first, 200);
        }
        // No job behind an old claim: its create died before creating it. Take the claim
        // over, remove the dead create's upload, and create this request's job instead.
        const abandoned = Date.now() - claim.claimedAt >= ABANDONED_CLAIM_MS;
        if (!abandoned || !(await takeOverAbandonedClaim(projectSession(c, projectId), projectId, idempotencyKey, claim.jobId, jobId, upload.sha256))) {
          await reservation.release();
          throw conflict("A request with this Idempotency-Key is still being processed; retry shortly");
        }
        await c.env.BUCKET.delete(sourceKey({ projectId, id: claim.jobId }));
      }
      timing.mark("idempotency");
    }
    if (fields.batchId !== undefined) {
      await requireOpenBatch(c.env, fields.batchId, access).catch(async (err: unknown) => {
        await reservation.release();
        throw err;
      });
    }
    const init: JobInit = {
      id: jobId,
      projectId,
      sourceId: fields.sourceId ?? null,
      originalFilename: filename,
      sourcePath: fields.sourcePath ?? filename,
      byteSize: upload.byteSize,
      mimeType: upload.mimeType,
      isDeepScan: fields.isDeepScan ?? false,
      options: fields.options,
      createdBy: access.principal.sub,
      batchId: fields.batchId ?? null,
    };
    try {
      // A batch's item waits QUEUED until its batch lets it start.
      const job = await jobStub(c.env, jobId).create(init, { held: init.batchId !== null });
      timing.mark("job");
      if (init.batchId && job.status === "CANCELLED") throw conflict(job.errorMessage ?? "The batch takes no more items");
      return c.json(job, 201, { Location: `/api/projects/${projectId}/ingest/jobs/${job.id}`, "Server-Timing": timing.header() });
    } catch (err) {
      if (err instanceof Problem) throw err;
      await reservation.release();
      if (idempotencyKey !== undefined) await releaseIdempotencyKey(projectSession(c, projectId), projectId, idempotencyKey, jobId);
      throw err;
    }
  },
);

type Fields = z.infer<typeof CreateJobFields>;
interface Received {
  fields: Omit<Fields, "chunkSize" | "chunkOverlap"> & { options: JobInit["options"] };
  upload: StoredUpload;
  filename: string;
}

/** Chunking options with their defaults, checked before any byte is stored. */
function withOptions(f: Fields): Received["fields"] {
  const chunkSize = f.chunkSize ?? DEFAULT_CHUNK_OPTIONS.size;
  const chunkOverlap = f.chunkOverlap ?? Math.min(DEFAULT_CHUNK_OPTIONS.overlap, Math.floor(chunkSize / 10));
  const problem = validateChunkOptions({ size: chunkSize, overlap: chunkOverlap });
  if (problem) throw badRequest(problem);
  const { chunkSize: _s, chunkOverlap: _o, ...rest } = f;
  return { ...rest, options: { chunkSize, chunkOverlap } };
}

function tooLarge(size: number, max: number): Problem {
  return new Problem(413, `File too large: ${size} bytes. The limit is ${max} bytes.`);
}

async function receiveRaw(req: Request, query: Fields, env: AppEnv["Bindings"], key: string, max: number, reservation: SourceReservation): Promise<Received> {
  const fields = withOptions(query);
  const filename = query.filename;
  if (!filename) throw badRequest("Query parameter filename is required for a raw upload (or send multipart/form-data)");
  const lengthHeader = req.headers.get("Content-Length");
  if (lengthHeader === null) throw new Problem(411, "Content-Length is required for a raw upload");
  const length = Number(lengthHeader);
  if (!Number.isSafeInteger(length) || length < 0) throw badRequest("Content-Length must be a non-negative integer");
  if (length === 0 || !req.body) throw badRequest("The uploaded file is empty");
  if (length > max) throw tooLarge(length, max);
  const upload = await storeStreamedUpload(env, key, req.body, length, req.headers.get("Content-Type"), filename, reservation.start());
  return { fields, upload, filename };
}

async function receiveMultipart(req: Request, env: AppEnv["Bindings"], key: string, max: number, reservation: SourceReservation): Promise<Received> {
  const length = Number(req.headers.get("Content-Length") ?? "NaN");
  if (Number.isFinite(length) && length > max + MULTIPART_OVERHEAD) throw tooLarge(length, max);
  // Reserved while the body is parsed; the put waits for it.
  const reserved = reservation.start();
  let form: FormData;
  try {
    form = await req.formData();
  } catch {
    throw badRequest("The multipart body could not be parsed");
  }
  const file = form.get("file");
  if (!(file instanceof File)) throw badRequest("The multipart body has no file field named 'file'");
  const raw: Record<string, string> = {};
  for (const [name, value] of form.entries()) if (typeof value === "string") raw[name] = value;
  const parsed = CreateJobFields.safeParse(raw);
  if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => i.message).join("; "));
  const fields = withOptions(parsed.data);
  if (file.size === 0) throw badRequest("The uploaded file is empty");
  if (file.size > max) throw tooLarge(file.size, max);
  const filename = parsed.data.filename ?? (file.name || "upload");
  if (filename.length > FIELD_MAX_LENGTH.filename) throw badRequest(`The file's name: ${fieldLengthMessage("filename")}`);
  return { fields, upload: await storeBufferedUpload(env, key, file, reserved), filename };
}

/** The job another request with the same key created (it may still be creating it); null if none appears. */
async function awaitJob(env: AppEnv["Bindings"], jobId: string, access: Access): Promise<JobData | null> {
  const deadline = Date.now() + IDEMPOTENT_WAIT_MS;
  for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
    const reply = await jobStub(env, jobId).get(access);
    if (reply.ok || reply.reason !== "not_found") return jobOrThrow(reply, PROJECT_MESSAGES);
    if (Date.now() > deadline) return null;
    await new Promise((r) => setTimeout(r, wait));
  }
}

jobRoutes.openapi(
  createRoute({
    method: "get",
    path: `${BASE}/jobs/{jobId}`,
    summary: "Get one job",
    request: { params: JobParams },
    responses: {
      200: { description: "The job", content: { "application/json": { schema: Job } } },
      304: { description: "Not Modified: `If-None-Match` holds the job's current `ETag`" },
      ...problems(401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { projectId, jobId } = c.req.valid("param");
    const access = await enterProject(c, projectId, "read");
    requireJobId(jobId, PROJECT_MESSAGES.notFound);
    // The object checks project and role before it answers: a 304 is only ever given to a
    // caller who would have been given the job.
    const reply = await jobStub(c.env, jobId).get(access);
    const job = jobOrThrow(reply, PROJECT_MESSAGES);
    const etag = reply.ok && reply.version !== undefined ? jobETag(reply.version) : null;
    if (etag === null) return c.json(job, 200);
    if (ifNoneMatch(c.req.header("If-None-Match"), etag)) return c.body(null, 304, { ETag: etag });
    return c.json(job, 200, { ETag: etag });
  },
);

/**
 * A strong validator from the job's commit counter: every committed change bumps it, and
 * the representation is a function of the committed job alone (RFC 9110 §8.8.3).
 */
function jobETag(version: number): string {
  return `"${version}"`;
}

/** RFC 9110 §13.1.2: `*` or a list of tags, compared weakly (a `W/` prefix is ignored). */
function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

/** Cursor positions are (createdAt ms, id) pairs, bound to route, project and filters. */
function isJobKey(v: unknown): v is { c: number; i: string } {
  return typeof v === "object" && v !== null && Number.isSafeInteger((v as { c: unknown }).c) && typeof (v as { i: unknown }).i === "string";
}

jobRoutes.openapi(
  createRoute({
    method: "get",
    path: `${BASE}/jobs`,
    summary: "List a project's jobs, newest first",
    request: { params: ProjectParams, query: ListJobsQuery, headers: BookmarkRequestHeaders },
    responses: {
      200: { description: "A page of jobs", headers: bookmarkResponseHeader, content: { "application/json": { schema: JobList } } },
      ...problems(400, 401, 403, 429),
    },
  }),
  async (c) => {
    const { projectId } = c.req.valid("param");
    const q = c.req.valid("query");
    await enterProject(c, projectId, "read");
    const secret = loadConfig(c.env).cursorSecret;
    const scope = JSON.stringify(["jobs", projectId, q.status ?? null, q.stage ?? null, q.sourceId ?? null, q.batchId ?? null]);
    let after: JobKey | null = null;
    if (q.cursor !== undefined) {
      const position = await decodeCursor(secret, scope, q.cursor);
      if (!isJobKey(position)) throw badRequest("Invalid cursor: it is malformed, altered, or was issued for other filters");
      after = { createdAt: position.c, id: position.i };
    }
    const page = await listProjectJobs(projectSession(c, projectId), projectId, q, after, q.limit);
    const nextCursor = page.next ? await encodeCursor(secret, scope, { c: page.next.createdAt, i: page.next.id }) : null;
    return c.json({ items: page.items, nextCursor, total: page.total }, 200);
  },
);

jobRoutes.openapi(
  createRoute({
    method: "post",
    path: `${BASE}/jobs/{jobId}/cancel`,
    summary: "Cancel a queued or running job",
    request: { params: JobParams },
    responses: {
      200: { description: "The cancelled job", headers: bookmarkResponseHeader, content: { "application/json": { schema: Job } } },
      ...problems(400, 401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { projectId, jobId } = c.req.valid("param");
    const access = await enterProject(c, projectId, "cancel");
    requireJobId(jobId, PROJECT_MESSAGES.notFound);
    const reply = await jobStub(c.env, jobId).cancel(access);
    if (reply.ok) recordWriteBookmark(c, projectId, reply.bookmark);
    return c.json(jobOrThrow(reply, PROJECT_MESSAGES), 200);
  },
);

jobRoutes.openapi(
  createRoute({
    method: "delete",
    path: `${BASE}/jobs/{jobId}`,
    summary: "Soft-delete a finished job (its document stays)",
    request: { params: JobParams },
    responses: { 204: { description: "Deleted", headers: bookmarkResponseHeader }, ...problems(400, 401, 403, 404, 429) },
  }),
  async (c) => {
    const { projectId, jobId } = c.req.valid("param");
    const access = await enterProject(c, projectId, "delete");
    requireJobId(jobId, PROJECT_MESSAGES.notFound);
    const reply = await jobStub(c.env, jobId).remove(access);
    jobOrThrow(reply, PROJECT_MESSAGES);
    if (reply.ok) recordWriteBookmark(c, projectId, reply.bookmark);
    return c.body(null, 204);
  },
);
