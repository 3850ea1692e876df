/**
 * The D1 schema (drizzle). `drizzle-kit generate` turns it into the SQL files in
 * `migrations/`, which `wrangler d1 migrations apply` and the tests apply.
 *
 * Every list query and count is served by an index whose left prefix is `project_id`
 * (D1 bills rows scanned); the job indexes are partial on `deleted_at IS NULL` because
 * deleted jobs never appear in a listing.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** A job or batch that has finished and is not deleted: what retention counts from its updated_at. */
export const FINISHED_WHERE = "deleted_at IS NULL AND status IN ('COMPLETED', 'FAILED', 'CANCELLED')";
/**
 * Jobs that should be moving: RUNNING, or QUEUED outside a batch (a batch's queued items
 * wait for their batch, which watches them itself).
 */
export const SWEPT_WHERE = "deleted_at IS NULL AND (status = 'RUNNING' OR (status = 'QUEUED' AND batch_id IS NULL))";
const FINISHED = sql.raw(FINISHED_WHERE);
const SWEPT = sql.raw(SWEPT_WHERE);

/** The listing index: one row per job, written only by the job's Durable Object. */
export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    sourceId: text("source_id"),
    sourcePath: text("source_path").notNull(),
    originalFilename: text("original_filename").notNull(),
    mimeType: text("mime_type").notNull(),
    byteSize: integer("byte_size").notNull(),
    status: text("status").notNull(),
    stage: text("stage").notNull(),
    progress: real("progress").notNull(),
    createdBy: text("created_by").notNull(),
    /** Epoch milliseconds: the keyset's first column, at full precision. */
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deletedAt: integer("deleted_at"),
    /** The object's commit counter: an upsert only lands when it is newer. */
    version: integer("version").notNull(),
    /** The full job as JSON, so a listing never has to call the objects. */
    data: text("data").notNull(),
    /** The file's and options' fingerprint (`jobs/fingerprint.ts`): a lookup finds ingested files by it. */
    fingerprint: text("fingerprint"),
    /** The batch the job is an item of (DESIGN §13). */
    batchId: text("batch_id"),
  },
  (t) => [
    index("jobs_project_fingerprint").on(t.projectId, t.fingerprint).where(sql`deleted_at IS NULL`),
    index("jobs_project_created").on(t.projectId, t.createdAt, t.id).where(sql`deleted_at IS NULL`),
    index("jobs_project_status_created").on(t.projectId, t.status, t.createdAt, t.id).where(sql`deleted_at IS NULL`),
    index("jobs_project_stage_created").on(t.projectId, t.stage, t.createdAt, t.id).where(sql`deleted_at IS NULL`),
    index("jobs_project_source_created").on(t.projectId, t.sourceId, t.createdAt, t.id).where(sql`deleted_at IS NULL`),
    // The documents search (`q`): a prefix of the path or the file name is one range of
    // each index. Not partial: a deleted job's document stays and stays findable.
    index("jobs_project_source_path").on(t.projectId, t.sourcePath),
    index("jobs_project_filename").on(t.projectId, t.originalFilename),
    index("jobs_project_batch_created").on(t.projectId, t.batchId, t.createdAt, t.id).where(sql`deleted_at IS NULL`),
    // Retention (src/retention/): finished rows by age over the shard and per project (a
    // finished row's updated_at is its completedAt), deleted rows by deletion time, and
    // the sweep's active rows by their last write. Each query repeats its index's WHERE.
    index("jobs_finished_updated").on(t.updatedAt, t.id).where(FINISHED),
    index("jobs_project_finished_updated").on(t.projectId, t.updatedAt).where(FINISHED),
    index("jobs_deleted").on(t.deletedAt).where(sql`deleted_at IS NOT NULL`),
    index("jobs_active_updated").on(t.updatedAt, t.id).where(SWEPT),
  ],
);

/** The batch listing index: one row per batch, written only by the batch's Durable Object. */
export const batches = sqliteTable(
  "batches",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    kind: text("kind").notNull(),
    status: text("status").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deletedAt: integer("deleted_at"),
    version: integer("version").notNull(),
    /** The batch as JSON (counts as of the last write), so a listing never calls the objects. */
    data: text("data").notNull(),
  },
  (t) => [
    index("batches_project_created").on(t.projectId, t.createdAt, t.id).where(sql`deleted_at IS NULL`),
    index("batches_project_status_created").on(t.projectId, t.status, t.createdAt, t.id).where(sql`deleted_at IS NULL`),
    index("batches_project_kind_created").on(t.projectId, t.kind, t.createdAt, t.id).where(sql`deleted_at IS NULL`),
    index("batches_finished_updated").on(t.updatedAt, t.id).where(FINISHED),
    index("batches_project_finished_updated").on(t.projectId, t.updatedAt).where(FINISHED),
    index("batches_deleted").on(t.deletedAt).where(sql`deleted_at IS NOT NULL`),
  ],
);

/** `Idempotency-Key` claims: the first job created with a key, for 24 hours. */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    projectId: text("project_id").notNull(),
    key: text("key").notNull(),
    jobId: text("job_id").notNull(),
    /** The job's fingerprint (file and options): the same key with another is a conflict. */
    requestHash: text("request_hash").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  // Expired claims are deleted a page at a time by the retention purger.
  (t) => [primaryKey({ columns: [t.projectId, t.key] }), index("idempotency_keys_expires").on(t.expiresAt)],
);

/**
 * Canonical documents: inserted last by a completing job, so never partial. A few
 * hundred bytes each: the text and the chunk table live in R2 (`storage-keys.ts`).
 */
export const documents = sqliteTable(
  "documents",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    jobId: text("job_id").notNull(),
    title: text("title").notNull(),
    mimeType: text("mime_type").notNull(),
    pageCount: integer("page_count"),
    characterCount: integer("character_count").notNull(),
    chunkCount: integer("chunk_count").notNull(),
    contentHash: text("content_hash").notNull(),
    simhash: text("simhash"),
    band0: text("band0"),
    band1: text("band1"),
    band2: text("band2"),
    band3: text("band3"),
    language: text("language"),
    duplicateOf: text("duplicate_of"),
    textKey: text("text_key").notNull(),
    createdAt: integer("created_at").notNull(),
    /** Where the source was fetched from (a URL item or an arXiv abstract page), when it was. */
    sourceUrl: text("source_url"),
    /**
     * The job's source path and file name, copied here when retention purges the job's
     * row, so the documents search (`q`) still finds the document by them.
     */
    sourcePath: text("source_path"),
    originalFilename: text("original_filename"),
  },
  (t) => [
    // The listing (newest first) and its filters; the hash index also finds exact duplicates.
    index("documents_project_created").on(t.projectId, t.createdAt, t.id),
    index("documents_project_hash").on(t.projectId, t.contentHash, t.createdAt, t.id),
    index("documents_project_language").on(t.projectId, t.language, t.createdAt, t.id),
    index("documents_project_duplicate").on(t.projectId, t.duplicateOf, t.createdAt, t.id),
    index("documents_project_band0").on(t.projectId, t.band0),
    index("documents_project_band1").on(t.projectId, t.band1),
    index("documents_project_band2").on(t.projectId, t.band2),
    index("documents_project_band3").on(t.projectId, t.band3),
  ],
);

export type JobRow = typeof jobs.$inferSelect;
export type DocumentRow = typeof documents.$inferSelect;

/**
 * Webhook subscriptions (DESIGN §9): small project-scoped rows. `secret` is sealed with
 * AES-GCM under `WEBHOOK_SECRET_KEY` (src/webhooks/secrets.ts), never stored in the clear.
 */
export const webhookSubscriptions = sqliteTable(
  "webhook_subscriptions",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    url: text("url").notNull(),
    /** JSON array of event types, or `["*"]`. */
    events: text("events").notNull(),
    description: text("description"),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    sealedSecret: text("sealed_secret").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("webhook_subscriptions_project_created").on(t.projectId, t.createdAt, t.id)],
);

export type WebhookSubscriptionRow = typeof webhookSubscriptions.$inferSelect;

/**
 * arXiv papers a project has harvested (DESIGN §14): one small row per project and paper
 * (a few hundred bytes; the abstract is only hashed), so a second harvest can tell new,
 * updated and unchanged papers apart. arXiv's metadata is CC0.
 */
export const arxivPapers = sqliteTable(
  "arxiv_papers",
  {
    projectId: text("project_id").notNull(),
    /** Without version: `2104.12255`, `solv-int/9901001`. */
    paperId: text("paper_id").notNull(),
    /** The latest version seen. */
    version: integer("version").notNull(),
    /** SHA-256 of the metadata that a same-version change can touch (src/arxiv/papers.ts). */
    metadataHash: text("metadata_hash").notNull(),
    title: text("title").notNull(),
    /** JSON array of names, in the paper's order. */
    authors: text("authors").notNull(),
    /** JSON array of category terms; the primary one first. */
    categories: text("categories").notNull(),
    /** ISO-8601: the first version's date. */
    published: text("published").notNull(),
    /** ISO-8601: the latest version's date. */
    updated: text("updated").notNull(),
    doi: text("doi"),
    /** The document built from the latest processed version's PDF; null until one completes. */
    documentId: text("document_id"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.paperId] })],
);

export type ArxivPaperRow = typeof arxivPapers.$inferSelect;

/**
 * Project settings an admin may override (docs/retention.md): today the retention of the
 * project's finished jobs and batches. A project without a row keeps the defaults.
 */
export const projectSettings = sqliteTable("project_settings", {
  projectId: text("project_id").primaryKey(),
  /** Days a finished job or batch is kept; null: `RETENTION_DAYS`. */
  retentionDays: integer("retention_days"),
  updatedBy: text("updated_by").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export type ProjectSettingsRow = typeof projectSettings.$inferSelect;
