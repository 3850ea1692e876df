/**
 * Every request and response shape, declared once. The same zod schemas validate
 * requests, type the handlers and generate `/openapi.json`.
 */
import { z } from "@hono/zod-openapi";
import { JOB_EVENT_TYPES, JOB_STAGES, JOB_STATUSES } from "../jobs/lifecycle";

export const Problem = z
  .object({
    type: z.string().openapi({ example: "about:blank" }),
    title: z.string().openapi({ example: "Not Found" }),
    status: z.number().int().openapi({ example: 404 }),
    detail: z.string().openapi({ example: "Ingest job not found" }),
    instance: z.string().optional(),
  })
  .openapi("Problem", { description: "RFC 9457 problem details; `detail` is always present." });

export const ProjectParams = z.object({
  projectId: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "projectId", in: "path" }, example: "proj_123" }),
});
export const JobParams = ProjectParams.extend({
  jobId: z.string().openapi({ param: { name: "jobId", in: "path" }, example: "0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11" }),
});
export const JobIdParams = z.object({
  jobId: z.string().openapi({ param: { name: "jobId", in: "path" } }),
});
export const CompatJobParams = z.object({
  job_id: z.string().openapi({ param: { name: "job_id", in: "path" } }),
});
export const DocumentParams = ProjectParams.extend({
  documentId: z.string().openapi({ param: { name: "documentId", in: "path" } }),
});

const Counters = z
  .object({
    bytesRead: z.number().int(),
    pagesExtracted: z.number().int(),
    charactersExtracted: z.number().int(),
    chunksCreated: z.number().int(),
    chunksIndexed: z.number().int(),
    duplicatesFound: z.number().int(),
  })
  .openapi("JobCounters");

const JobErrorEntry = z.object({ at: z.string(), stage: z.enum(JOB_STAGES), code: z.string(), message: z.string() }).openapi("JobError");

export const Job = z
  .object({
    id: z.string().uuid(),
    projectId: z.string(),
    sourceId: z.string().nullable(),
    originalFilename: z.string(),
    sourcePath: z.string(),
    byteSize: z.number().int(),
    mimeType: z.string(),
    isDeepScan: z.boolean(),
    status: z.enum(JOB_STATUSES),
    stage: z.enum(JOB_STAGES),
    progress: z.number().min(0).max(1),
    counters: Counters,
    options: z.object({ chunkSize: z.number().int(), chunkOverlap: z.number().int() }),
    attempts: z.number().int(),
    errorMessage: z.string().nullable(),
    errors: z.array(JobErrorEntry),
    canonicalDocumentId: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    deletedAt: z.string().nullable(),
    batchId: z.string().nullable().optional().openapi({ description: "The batch the job is an item of" }),
    sourceUrl: z.string().nullable().optional().openapi({ description: "The URL the source was fetched from (URL items)" }),
  })
  .openapi("Job");

export const JobList = z.object({ items: z.array(Job), nextCursor: z.string().nullable(), total: z.number().int() }).openapi("JobList");

const flag = z.enum(["true", "false", "1", "0"], { error: "isDeepScan must be true or false" }).transform((v) => v === "true" || v === "1");

/**
 * Longest value of each text field a job keeps (in UTF-16 units): every one is copied
 * into the job, its index row, every list item and every snapshot frame.
 */
export const FIELD_MAX_LENGTH = { filename: 255, sourceId: 200, sourcePath: 1024, "Idempotency-Key": 255 } as const;

/** The message of a text field outside its bounds; it names the field. */
export function fieldLengthMessage(field: keyof typeof FIELD_MAX_LENGTH): string {
  return `${field} must be 1 to ${FIELD_MAX_LENGTH[field]} characters`;
}

function boundedText(field: keyof typeof FIELD_MAX_LENGTH) {
  const error = fieldLengthMessage(field);
  return z.string({ error }).min(1, { error }).max(FIELD_MAX_LENGTH[field], { error });
}

/** Optional fields of a create, from the query (raw upload) or the form (multipart). */
export const CreateJobFields = z
  .object({
    filename: boundedText("filename").optional().openapi({ description: "Required for a raw upload." }),
    sourceId: boundedText("sourceId").optional(),
    sourcePath: boundedText("sourcePath").optional(),
    isDeepScan: flag.optional(),
    chunkSize: z.coerce
      .number({ error: "chunkSize must be an integer" })
      .int({ error: "chunkSize must be an integer" })
      .min(100, { error: "chunkSize must be between 100 and 8000" })
      .max(8000, { error: "chunkSize must be between 100 and 8000" })
      .optional(),
    chunkOverlap: z.coerce
      .number({ error: "chunkOverlap must be an integer" })
      .int({ error: "chunkOverlap must be an integer" })
      .min(0, { error: "chunkOverlap must not be negative" })
      .optional(),
    batchId: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: "Adds the job to this open upload batch (DESIGN §13); it waits QUEUED until the batch lets it start." }),
  })
  .openapi("CreateJobFields");

const limitError = { error: "Invalid limit. Must be between 1 and 100." };
/** `limit` of every paginated route. */
const PageLimit = z.coerce.number(limitError).int(limitError).min(1, limitError).max(100, limitError).default(50);

export const ListJobsQuery = z.object({
  cursor: z.string().optional(),
  limit: PageLimit,
  status: z.enum(JOB_STATUSES, { error: `Invalid status. Must be one of ${JOB_STATUSES.join(", ")}.` }).optional(),
  stage: z.enum(JOB_STAGES, { error: `Invalid stage. Must be one of ${JOB_STAGES.join(", ")}.` }).optional(),
  sourceId: z.string().min(1).optional(),
  batchId: z.string().min(1).optional(),
});

export const EventsQuery = z.object({
  after: z.coerce
    .number({ error: "after must be a non-negative integer" })
    .int({ error: "after must be a non-negative integer" })
    .min(0, { error: "after must be a non-negative integer" })
    .default(0),
  access_token: z.string().optional().openapi({ description: "Only on WebSocket upgrades (browsers cannot set headers)." }),
});

export const JobEvent = z
  .object({
    type: z.enum(JOB_EVENT_TYPES),
    seq: z.number().int(),
    jobId: z.string(),
    projectId: z.string(),
    at: z.string(),
    job: z.object({ id: z.string(), status: z.enum(JOB_STATUSES), stage: z.enum(JOB_STAGES), progress: z.number(), counters: Counters }),
  })
  .openapi("JobEvent");

export const JobEventLog = z.object({ items: z.array(JobEvent), lastSeq: z.number().int() }).openapi("JobEventLog");

export const Document = z
  .object({
    id: z.string(),
    projectId: z.string(),
    jobId: z.string(),
    title: z.string(),
    mimeType: z.string(),
    pageCount: z.number().int().nullable(),
    characterCount: z.number().int(),
    chunkCount: z.number().int(),
    contentHash: z.string(),
    language: z.string().nullable(),
    duplicateOf: z.string().nullable(),
    sourceUrl: z.string().nullable().openapi({ description: "The URL the source was fetched from, for a fetched source" }),
    createdAt: z.string(),
  })
  .openapi("Document");

export const DocumentList = z.object({ items: z.array(Document), nextCursor: z.string().nullable(), total: z.number().int() }).openapi("DocumentList");

export const ListDocumentsQuery = z.object({
  cursor: z.string().optional(),
  limit: PageLimit,
  contentHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, { error: "Invalid contentHash. Must be 64 lower-case hex digits (SHA-256)." })
    .optional(),
  language: z.string().min(1).max(16).optional(),
  duplicateOf: z.string().min(1).optional(),
});

export const Chunk = z
  .object({
    ordinal: z.number().int(),
    text: z.string(),
    charStart: z.number().int(),
    charEnd: z.number().int(),
    page: z.number().int().nullable(),
    contentHash: z.string(),
  })
  .openapi("Chunk");

export const ChunkList = z.object({ items: z.array(Chunk), nextCursor: z.string().nullable() }).openapi("ChunkList");

export const ChunksQuery = z.object({
  cursor: z.string().optional(),
  limit: PageLimit,
});

export const CompatJob = z
  .object({
    job_id: z.string(),
    status: z.enum(["pending", "running", "completed", "failed", "cancelled"]),
    progress: z.object({
      papers_fetched: z.number().int(),
      papers_created: z.number().int(),
      papers_updated: z.number().int(),
      pdfs_downloaded: z.number().int(),
      pdfs_processed: z.number().int(),
      errors: z.array(z.string()).openapi({ description: "The error messages (the seed's example: `[]`)" }),
    }),
    created_at: z.string(),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    errors: z.array(z.object({ timestamp: z.string(), error: z.string(), stage: z.string() })),
    stats: z.record(z.string(), z.union([z.number(), z.string()])),
  })
  .openapi("CompatJob");

export const CompatCancelled = z.object({ message: z.string() }).openapi("CompatCancelled");

/** Standard error responses, for the OpenAPI document. */
export function problems(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, { description: `Problem (${s})`, content: { "application/problem+json": { schema: Problem } } }]));
}
