/** Project-scoped job routes (DESIGN §4), base `/api/projects/{projectId}/ingest`. */
import { createRoute, OpenAPIHono, type z } from "@hono/zod-openapi";
import { loadConfig } from "../config";
import type { AppEnv } from "../http/app-env";
import { setMetric, timing } from "hono/timing";
import { apiResponseHeaders, ApiRequestHeaders } from "../contract/headers";
import { CreateJobFields, CreateJobHeaders, FIELD_MAX_LENGTH, fieldLengthMessage, GetJobHeaders, Job, JobList, ListJobsQuery } from "../contract/job";
import { JobParams, ProjectParams } from "../contract/params";
import { problems } from "../contract/problem";
import { projectSession, recordWriteBookmark } from "../http/bookmark";
import { PAGE_KEY, readCursor, writeCursor } from "../http/cursor";
import { badRequest, Problem } from "../http/problem";
import { createIngestJob, type ReceivedUpload } from "../jobs/create-job";
import { chunkOptions } from "../jobs/fingerprint";
import { readableBytes, textTooLong } from "../pipeline/limits";
import { listProjectJobs } from "../jobs/job-index";
import { storeBufferedUpload, storeStreamedUpload } from "../uploads/store-upload";
import { requireOpenBatch } from "./batches";
import { enterProject, jobOrThrow, jobStub, PROJECT_MESSAGES, requireJobId } from "./access";
import { validationHook } from "./validation";

export const jobRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const BASE = "/api/projects/{projectId}/ingest";
/** Multipart framing allowance on top of MAX_UPLOAD_BYTES. */
const MULTIPART_OVERHEAD = 64 * 1024;

const createJob = createRoute({
  method: "post",
  path: `${BASE}/jobs`,
  summary: "Create an ingest job by uploading a source file",
  description:
    "Multipart (`file` plus fields) for small files, or a raw body with the file's Content-Type, a Content-Length and `?filename=`, streamed straight to R2, for large ones.",
  request: {
    params: ProjectParams,
    query: CreateJobFields,
    headers: CreateJobHeaders,
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
    201: { description: "Created", headers: apiResponseHeaders("Location"), content: { "application/json": { schema: Job } } },
    200: { description: "The job first created with this Idempotency-Key", headers: apiResponseHeaders(), content: { "application/json": { schema: Job } } },
    ...problems(400, 401, 403, 409, 411, 413, 415, 429),
  },
});

jobRoutes.openAPIRegistry.register("CreateJobFields", CreateJobFields);

// `Server-Timing` on a create (upload, idempotency, job: where its time went; `npm run
// bench` reads it). Workers clocks advance only across I/O, so a pure-CPU phase reads as
// the I/O it waited on.
jobRoutes.use("/api/projects/:projectId/ingest/jobs", timing({ total: false, enabled: (c) => c.req.method === "POST" && c.res.status === 201 }));

jobRoutes.openapi(
  createJob,
  // The body is read by `receive`: the raw form streams, and the multipart fields go
  // through the same `CreateJobFields` schema as the query.
  async (c) => {
    const { projectId } = c.req.valid("param");
    const access = await enterProject(c, projectId, "create");
    const idempotencyKey = c.req.header("Idempotency-Key");
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
      throw badRequest(`${fieldLengthMessage("Idempotency-Key")}, visible ASCII only`);
    }
    const max = loadConfig(c.env).maxUploadBytes;
    const isMultipart = (c.req.header("Content-Type") ?? "").toLowerCase().startsWith("multipart/form-data");
    let phaseStart = Date.now();
    const result = await createIngestJob({
      env: c.env,
      projectId,
      access,
      idempotencyKey,
      db: () => projectSession(c, projectId),
      openBatch: (batchId) => requireOpenBatch(c.env, batchId, access),
      receive: (key, reserved) =>
        isMultipart ? receiveMultipart(c.req.raw, c.env, key, max, reserved) : receiveRaw(c.req.raw, c.req.valid("query"), c.env, key, max, reserved),
      mark: (phase) => {
        setMetric(c, phase, Date.now() - phaseStart);
        phaseStart = Date.now();
      },
    });
    if (!result.created) return c.json(result.job, 200);
    return c.json(result.job, 201, { Location: `/api/projects/${encodeURIComponent(projectId)}/ingest/jobs/${result.job.id}` });
  },
);

type Fields = z.infer<typeof CreateJobFields>;

/** Chunking options with their defaults, checked before any byte is stored. */
function withOptions(f: Fields): ReceivedUpload["fields"] {
  return { sourceId: f.sourceId, sourcePath: f.sourcePath, isDeepScan: f.isDeepScan, batchId: f.batchId, options: chunkOptions(f) };
}

function tooLarge(size: number, max: number): Problem {
  return new Problem(413, `File too large: ${readableBytes(size)} (${size} bytes). The limit is ${readableBytes(max)} (MAX_UPLOAD_BYTES raises it).`);
}

/** 413 before any byte is stored when the size alone proves a text file too long (`textTooLong`). */
function refuseLongText(size: number, declaredType: string | null, env: AppEnv["Bindings"]): void {
  const why = textTooLong(size, declaredType, loadConfig(env).limits.maxDocumentChars);
  if (why) throw new Problem(413, why);
}

async function receiveRaw(
  req: Request,
  query: Fields,
  env: AppEnv["Bindings"],
  key: string,
  max: number,
  reserved: () => Promise<void>,
): Promise<ReceivedUpload> {
  const fields = withOptions(query);
  const filename = query.filename;
  if (!filename) throw badRequest("Query parameter filename is required for a raw upload (or send multipart/form-data)");
  const lengthHeader = req.headers.get("Content-Length");
  if (lengthHeader === null) throw new Problem(411, "Content-Length is required for a raw upload");
  const length = Number(lengthHeader);
  if (!Number.isSafeInteger(length) || length < 0) throw badRequest("Content-Length must be a non-negative integer");
  if (length === 0 || !req.body) throw badRequest("The uploaded file is empty");
  if (length > max) throw tooLarge(length, max);
  refuseLongText(length, req.headers.get("Content-Type"), env);
  const upload = await storeStreamedUpload(env, key, req.body, length, req.headers.get("Content-Type"), filename, reserved());
  return { fields, upload, filename };
}

async function receiveMultipart(req: Request, env: AppEnv["Bindings"], key: string, max: number, reserved: () => Promise<void>): Promise<ReceivedUpload> {
  const length = Number(req.headers.get("Content-Length") ?? "NaN");
  if (Number.isFinite(length) && length > max + MULTIPART_OVERHEAD) throw tooLarge(length, max);
  // Reserved while the body is parsed; the put waits for it.
  const reservation = reserved();
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
  refuseLongText(file.size, file.type, env);
  const filename = parsed.data.filename ?? (file.name || "upload");
  if (filename.length > FIELD_MAX_LENGTH.filename) throw badRequest(`The file's name: ${fieldLengthMessage("filename")}`);
  return { fields, upload: await storeBufferedUpload(env, key, file, reservation), filename };
}

jobRoutes.openapi(
  createRoute({
    method: "get",
    path: `${BASE}/jobs/{jobId}`,
    summary: "Get one job",
    request: { params: JobParams, headers: GetJobHeaders },
    responses: {
      200: { description: "The job", headers: apiResponseHeaders("ETag"), content: { "application/json": { schema: Job } } },
      304: { description: "Not Modified: `If-None-Match` holds the job's current `ETag`", headers: apiResponseHeaders("ETag") },
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

jobRoutes.openapi(
  createRoute({
    method: "get",
    path: `${BASE}/jobs`,
    summary: "List a project's jobs, newest first",
    request: { params: ProjectParams, query: ListJobsQuery, headers: ApiRequestHeaders },
    responses: {
      200: { description: "A page of jobs", headers: apiResponseHeaders(), content: { "application/json": { schema: JobList } } },
      ...problems(400, 401, 403, 429),
    },
  }),
  async (c) => {
    const { projectId } = c.req.valid("param");
    const q = c.req.valid("query");
    await enterProject(c, projectId, "read");
    const secret = loadConfig(c.env).cursorSecret;
    const scope = ["jobs", projectId, q.status ?? null, q.stage ?? null, q.sourceId ?? null, q.batchId ?? null];
    const after = await readCursor(secret, scope, q.cursor, PAGE_KEY);
    const page = await listProjectJobs(projectSession(c, projectId), projectId, q, after, q.limit);
    return c.json({ items: page.items, nextCursor: await writeCursor(secret, scope, page.next, PAGE_KEY), total: page.total }, 200);
  },
);

jobRoutes.openapi(
  createRoute({
    method: "post",
    path: `${BASE}/jobs/{jobId}/cancel`,
    summary: "Cancel a queued or running job",
    request: { params: JobParams, headers: ApiRequestHeaders },
    responses: {
      200: { description: "The cancelled job", headers: apiResponseHeaders(), content: { "application/json": { schema: Job } } },
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
    method: "post",
    path: `${BASE}/jobs/{jobId}/retry`,
    summary: "Resume a failed job from its last checkpoint",
    description:
      "A FAILED job whose failure a retry can mend (a storage or runtime error, not a limit, a corrupt or encrypted file or an empty document) goes back to RUNNING in the stage it failed in, with a `job.retried` event; 400 says why otherwise.",
    request: { params: JobParams, headers: ApiRequestHeaders },
    responses: {
      200: { description: "The job, RUNNING again", headers: apiResponseHeaders(), content: { "application/json": { schema: Job } } },
      ...problems(400, 401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { projectId, jobId } = c.req.valid("param");
    const access = await enterProject(c, projectId, "retry");
    requireJobId(jobId, PROJECT_MESSAGES.notFound);
    const reply = await jobStub(c.env, jobId).retry(access);
    if (reply.ok) recordWriteBookmark(c, projectId, reply.bookmark);
    return c.json(jobOrThrow(reply, PROJECT_MESSAGES), 200);
  },
);

jobRoutes.openapi(
  createRoute({
    method: "delete",
    path: `${BASE}/jobs/{jobId}`,
    summary: "Soft-delete a finished job (its document stays)",
    request: { params: JobParams, headers: ApiRequestHeaders },
    responses: { 204: { description: "Deleted", headers: apiResponseHeaders() }, ...problems(400, 401, 403, 404, 429) },
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
