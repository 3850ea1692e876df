/** Canonical documents and their chunks, as the API returns them, and the documents list query. */
import { z } from "@hono/zod-openapi";
import { countedPage, PageQuery } from "./page";

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
export type Document = z.infer<typeof Document>;

export const DocumentList = countedPage(Document, "DocumentList");

export const ListDocumentsQuery = PageQuery.extend({
  contentHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, { error: "Invalid contentHash. Must be 64 lower-case hex digits (SHA-256)." })
    .optional(),
  language: z.string().min(1).max(16).optional(),
  duplicateOf: z.string().min(1).optional(),
  q: z
    .string()
    .min(1, { error: "Invalid q. Give the first characters of a file name or source path." })
    .max(256, { error: "Invalid q. At most 256 characters: the start of a file name or source path." })
    .optional()
    .openapi({
      description: "Documents whose job's file name or source path starts with this (case-sensitive prefix)",
      example: "docs/guide/",
    }),
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
export type Chunk = z.infer<typeof Chunk>;

/** Chunks come in document order, so a page has no total: the document's `chunkCount` is it. */
export const ChunkList = z.object({ items: z.array(Chunk), nextCursor: z.string().nullable() }).openapi("ChunkList");
