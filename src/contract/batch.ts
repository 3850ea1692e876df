/**
 * Batch shapes (DESIGN §13), declared once: the same zod schemas validate requests, type
 * the handlers and generate `/openapi.json`.
 */
import { z } from "@hono/zod-openapi";
import { BATCH_EVENT_TYPES, BATCH_KINDS, BATCH_STATUSES, ITEM_STATES } from "../batches/lifecycle";
import { countedPage, PageQuery } from "./page";
import { ProjectParams } from "./params";
import { JOB_STAGES, JOB_STATUSES } from "./status";

export const BatchParams = ProjectParams.extend({
  batchId: z.string().openapi({ param: { name: "batchId", in: "path" }, example: "0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11" }),
});

export const BatchCounts = z
  .object({
    total: z.number().int(),
    queued: z.number().int(),
    running: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
    cancelled: z.number().int(),
    skipped: z.number().int(),
  })
  .openapi("BatchCounts", { description: "Always adds up: total = queued + running + completed + failed + cancelled + skipped." });

const BatchErrorEntry = z
  .object({
    at: z.string(),
    stage: z.string(),
    code: z.string(),
    message: z.string(),
    item: z.string().openapi({ description: "The item's job id, or its source reference" }),
  })
  .openapi("BatchError");

/** An arxiv batch's counters (DESIGN §14): its `stats`, and the seed's `progress`. */
export const HarvestStats = z
  .object({
    papers_fetched: z.number().int(),
    papers_created: z.number().int(),
    papers_updated: z.number().int(),
    papers_unchanged: z.number().int(),
    pdfs_downloaded: z.number().int(),
    pdfs_processed: z.number().int(),
    pages: z.number().int(),
    canonical_query: z.string().optional().openapi({ description: "The query as arXiv ran it (arXiv rewrites loose queries), once a page has come back" }),
  })
  .openapi("HarvestStats", { description: "An arXiv harvest's counters (the `stats` of a batch of kind `arxiv`)" });
export type HarvestStats = z.infer<typeof HarvestStats>;

const BatchOptionsShape = z.object({ chunkSize: z.number().int(), chunkOverlap: z.number().int(), isDeepScan: z.boolean() });

export const Batch = z
  .object({
    id: z.string().uuid(),
    projectId: z.string(),
    kind: z.enum(BATCH_KINDS),
    status: z.enum(BATCH_STATUSES),
    open: z.boolean(),
    options: BatchOptionsShape,
    source: z.record(z.string(), z.unknown()),
    counts: BatchCounts,
    stats: z
      .union([HarvestStats, z.record(z.string(), z.union([z.number(), z.string()]))])
      .openapi({ description: "The kind's own counters: an arxiv batch's are `HarvestStats`" }),
    errors: z.array(BatchErrorEntry),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
  })
  .openapi("Batch");

export const BatchList = countedPage(Batch, "BatchList");

const chunkSize = z
  .number({ error: "options.chunkSize must be an integer" })
  .int({ error: "options.chunkSize must be an integer" })
  .min(100, { error: "options.chunkSize must be between 100 and 8000" })
  .max(8000, { error: "options.chunkSize must be between 100 and 8000" });
const chunkOverlap = z
  .number({ error: "options.chunkOverlap must be an integer" })
  .int({ error: "options.chunkOverlap must be an integer" })
  .min(0, { error: "options.chunkOverlap must not be negative" });

export const BatchOptionsInput = z
  .object({
    chunkSize: chunkSize.optional(),
    chunkOverlap: chunkOverlap.optional(),
    isDeepScan: z.boolean({ error: "options.isDeepScan must be true or false" }).optional(),
  })
  .strict()
  .openapi("BatchOptions");

/** Longest URL a `urls` batch takes. */
export const MAX_URL_LENGTH = 2048;

const UploadBatchBody = z.object({ kind: z.literal("upload"), options: BatchOptionsInput.optional() }).strict();
const UrlsBatchBody = z
  .object({
    kind: z.literal("urls"),
    urls: z
      .array(
        z
          .string({ error: "urls must be strings" })
          .min(1)
          .max(MAX_URL_LENGTH, { error: `a URL must be at most ${MAX_URL_LENGTH} characters` }),
        { error: "urls must be a list of URLs" },
      )
      .min(1, { error: "urls must list at least one URL" }),
    options: BatchOptionsInput.optional(),
  })
  .strict();

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: "dates must be YYYY-MM-DD" });
/** An arXiv harvest (DESIGN §14): `query`, `idList` or both; ids and `maxResults` are checked by the route. */
export const ArxivBatchBody = z
  .object({
    kind: z.literal("arxiv"),
    query: z.string().trim().min(1, { error: "query must not be empty" }).max(1000, { error: "query must be at most 1000 characters" }).optional(),
    idList: z
      .array(z.string().trim().min(1).max(64), { error: "idList must be a list of arXiv ids" })
      .min(1, { error: "idList must list at least one id" })
      .optional(),
    submittedFrom: isoDate.optional(),
    submittedTo: isoDate.optional(),
    maxResults: z
      .number({ error: "maxResults must be an integer" })
      .int({ error: "maxResults must be an integer" })
      .min(1, { error: "maxResults must be at least 1" })
      .optional(),
    processPdfs: z.boolean({ error: "processPdfs must be true or false" }).optional(),
    options: BatchOptionsInput.optional(),
  })
  .strict();

export const CreateBatchBody = z
  .discriminatedUnion("kind", [UploadBatchBody, UrlsBatchBody, ArxivBatchBody], { error: 'kind must be "upload", "urls" or "arxiv"' })
  .openapi("CreateBatch", {
    description:
      "`upload`: an open batch that `POST /jobs?batchId=` adds to. `urls`: each URL fetched into an item (DESIGN §15). `arxiv`: a harvest of arXiv (DESIGN §14).",
  });

export const ListBatchesQuery = PageQuery.extend({
  status: z.enum(BATCH_STATUSES, { error: `Invalid status. Must be one of ${BATCH_STATUSES.join(", ")}.` }).optional(),
  kind: z.enum(BATCH_KINDS, { error: `Invalid kind. Must be one of ${BATCH_KINDS.join(", ")}.` }).optional(),
});

export const ListBatchItemsQuery = PageQuery.extend({
  status: z.enum(ITEM_STATES, { error: `Invalid status. Must be one of ${ITEM_STATES.join(", ")}.` }).optional(),
});

export const BatchItem = z
  .object({
    id: z.string().openapi({ description: "The item's id: its job's id when it has one" }),
    status: z.enum(ITEM_STATES),
    source: z.string().openapi({ description: "The item's source reference: file name, URL or arXiv id" }),
    title: z.string().nullable().openapi({ description: "An arXiv item's paper title, as plain text (null for other kinds)" }),
    sourceUrl: z.string().nullable().openapi({ description: "Where the source lives: an arXiv item's abstract page, a URL item's URL (null for uploads)" }),
    jobId: z.string().nullable(),
    job: z.object({ status: z.enum(JOB_STATUSES), stage: z.enum(JOB_STAGES), progress: z.number() }).nullable(),
    error: BatchErrorEntry.nullable(),
    retries: z.number().int().openapi({ description: "Times a batch retry re-ran the item (the same item and job)" }),
    updatedAt: z.string(),
  })
  .openapi("BatchItem");

export const BatchItemList = z.object({ items: z.array(BatchItem), nextCursor: z.string().nullable() }).openapi("BatchItemList");

export const BatchEvent = z
  .object({
    type: z.enum(BATCH_EVENT_TYPES),
    seq: z.number().int(),
    batchId: z.string(),
    projectId: z.string(),
    at: z.string(),
    batch: z.object({ id: z.string(), kind: z.enum(BATCH_KINDS), status: z.enum(BATCH_STATUSES), counts: BatchCounts }),
  })
  .openapi("BatchEvent");

export const BatchEventLog = z.object({ items: z.array(BatchEvent), lastSeq: z.number().int() }).openapi("BatchEventLog");
