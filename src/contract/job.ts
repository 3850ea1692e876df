/**
 * The ingest job as the API returns it, and the requests that create and list jobs.
 * The domain's `Job` type (`src/jobs/lifecycle.ts`) is this schema's `z.infer`.
 */
import { z } from "@hono/zod-openapi";
import { ApiRequestHeaders } from "./headers";
import { countedPage, PageQuery } from "./page";
import { JOB_STAGES, JOB_STATUSES } from "./status";

const JobStatus = z.enum(JOB_STATUSES);
const JobStage = z.enum(JOB_STAGES);

/** What the pipeline has done so far; all counters only grow. */
export const JobCounters = z
  .object({
    bytesRead: z.number().int(),
    pagesExtracted: z.number().int(),
    charactersExtracted: z.number().int(),
    charactersDropped: z
      .number()
      .int()
      .openapi({ description: "Characters left out of the text: control and private-use codes from fonts with no Unicode map" }),
    chunksCreated: z.number().int(),
    chunksIndexed: z.number().int(),
    duplicatesFound: z.number().int(),
  })
  .openapi("JobCounters");
export type JobCounters = z.infer<typeof JobCounters>;

/** One failed try of a stage slice, as `errors[]` reports it. */
export const JobError = z.object({ at: z.string(), stage: JobStage, code: z.string(), message: z.string() }).openapi("JobError");
export type JobError = z.infer<typeof JobError>;

/** Chunking parameters fixed at create time. */
export const JobOptions = z.object({ chunkSize: z.number().int(), chunkOverlap: z.number().int() });
export type JobOptions = z.infer<typeof JobOptions>;

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
    status: JobStatus,
    stage: JobStage,
    progress: z.number().min(0).max(1),
    counters: JobCounters,
    options: JobOptions,
    attempts: z.number().int(),
    errorMessage: z.string().nullable(),
    errors: z.array(JobError),
    canonicalDocumentId: z.string().nullable(),
    documentDeleted: z.boolean().optional().openapi({
      description: "True once the canonical document has been deleted; `canonicalDocumentId` still names it, as the job's record of what it produced",
    }),
    /**
     * SHA-256 over the file's SHA-256 and the options its result depends on: a lookup
     * (`POST /lookup`) finds a file already ingested by it. Absent on jobs made before it existed.
     */
    fingerprint: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: "SHA-256 of the file's SHA-256 and the options (chunkSize, chunkOverlap, isDeepScan, sourceId)" }),
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
export type Job = z.infer<typeof Job>;

export const JobList = countedPage(Job, "JobList");

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
  // zod's `.max` counts code points (an emoji is one); the limit is in UTF-16 units (an emoji is two).
  return z
    .string({ error })
    .min(1, { error })
    .max(FIELD_MAX_LENGTH[field], { error, abort: true })
    .refine((v) => v.length <= FIELD_MAX_LENGTH[field], { error });
}

const flag = z.enum(["true", "false", "1", "0"], { error: "isDeepScan must be true or false" }).transform((v) => v === "true" || v === "1");

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

const idempotencyKeyError = { error: `${fieldLengthMessage("Idempotency-Key")}, visible ASCII only` };

/** Request headers of a create. */
export const CreateJobHeaders = ApiRequestHeaders.extend({
  "Idempotency-Key": z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, idempotencyKeyError)
    .optional()
    .openapi({
      description:
        "1–255 visible ASCII characters. The same key in the same project returns the first job (200) for 24 h; the same key with a different file is 409.",
    }),
  "Content-Length": z
    .string()
    .optional()
    .openapi({ type: "integer", minimum: 1, description: "Required for a raw upload (411 without it): the file's size in bytes." }),
});

/** Request headers of `GET` one job. */
export const GetJobHeaders = ApiRequestHeaders.extend({
  "If-None-Match": z.string().optional().openapi({ description: "An `ETag` from an earlier response: 304 with no body while the job is unchanged." }),
});

export const ListJobsQuery = PageQuery.extend({
  status: z.enum(JOB_STATUSES, { error: `Invalid status. Must be one of ${JOB_STATUSES.join(", ")}.` }).optional(),
  stage: z.enum(JOB_STAGES, { error: `Invalid stage. Must be one of ${JOB_STAGES.join(", ")}.` }).optional(),
  sourceId: z.string().min(1).optional(),
  batchId: z.string().min(1).optional(),
});
