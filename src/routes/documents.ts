/** Documents routes (DESIGN §4), base `/api/projects/{projectId}/documents`. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { loadConfig } from "../config";
import type { DocumentRow } from "../db/schema";
import { deleteDocumentOutputs, getDocument, listProjectDocuments, readChunks, type DocumentKey } from "../documents/document-store";
import type { AppEnv } from "../http/app-env";
import { BookmarkRequestHeaders, bookmarkResponseHeader, projectSession } from "../http/bookmark";
import { decodeCursor, encodeCursor } from "../http/cursor";
import { badRequest, notFound } from "../http/problem";
import { enterProject } from "./access";
import { ChunkList, ChunksQuery, Document, DocumentList, DocumentParams, ListDocumentsQuery, ProjectParams, problems } from "./schemas";
import { validationHook } from "./validation";

export const documentRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const LIST = "/api/projects/{projectId}/documents";
const BASE = `${LIST}/{documentId}`;
const NOT_FOUND = "Document not found";

function toDocument(d: DocumentRow) {
  return {
    id: d.id,
    projectId: d.projectId,
    jobId: d.jobId,
    title: d.title,
    mimeType: d.mimeType,
    pageCount: d.pageCount,
    characterCount: d.characterCount,
    chunkCount: d.chunkCount,
    contentHash: d.contentHash,
    language: d.language,
    duplicateOf: d.duplicateOf,
    sourceUrl: d.sourceUrl ?? null,
    createdAt: new Date(d.createdAt).toISOString(),
  };
}

async function documentOrThrow(c: Context<AppEnv>, projectId: string, documentId: string): Promise<DocumentRow> {
  const doc = await getDocument(projectSession(c, projectId), projectId, documentId);
  if (!doc) throw notFound(NOT_FOUND);
  return doc;
}

documentRoutes.openapi(
  createRoute({
    method: "get",
    path: LIST,
    summary: "List a project's documents, newest first",
    request: { params: ProjectParams, query: ListDocumentsQuery, headers: BookmarkRequestHeaders },
    responses: {
      200: { description: "A page of documents", headers: bookmarkResponseHeader, content: { "application/json": { schema: DocumentList } } },
      ...problems(400, 401, 403, 429),
    },
  }),
  async (c) => {
    const { projectId } = c.req.valid("param");
    const q = c.req.valid("query");
    await enterProject(c, projectId, "read");
    const filters = { contentHash: q.contentHash, language: q.language, duplicateOf: q.duplicateOf };
    const secret = loadConfig(c.env).cursorSecret;
    const scope = JSON.stringify(["documents", projectId, q.contentHash ?? null, q.language ?? null, q.duplicateOf ?? null]);
    let after: DocumentKey | null = null;
    if (q.cursor !== undefined) {
      const position = await decodeCursor(secret, scope, q.cursor);
      if (!isDocumentKey(position)) throw badRequest("Invalid cursor: it is malformed, altered, or was issued for other filters");
      after = { createdAt: position.c, id: position.i };
    }
    const page = await listProjectDocuments(projectSession(c, projectId), projectId, filters, after, q.limit);
    const nextCursor = page.next ? await encodeCursor(secret, scope, { c: page.next.createdAt, i: page.next.id }) : null;
    return c.json({ items: page.items.map(toDocument), nextCursor, total: page.total }, 200);
  },
);

function isDocumentKey(p: unknown): p is { c: number; i: string } {
  if (typeof p !== "object" || p === null) return false;
  const { c, i } = p as Record<string, unknown>;
  return typeof c === "number" && Number.isSafeInteger(c) && typeof i === "string";
}

documentRoutes.openapi(
  createRoute({
    method: "get",
    path: BASE,
    summary: "Get a canonical document",
    request: { params: DocumentParams, headers: BookmarkRequestHeaders },
    responses: {
      200: { description: "The document", headers: bookmarkResponseHeader, content: { "application/json": { schema: Document } } },
      ...problems(401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { projectId, documentId } = c.req.valid("param");
    await enterProject(c, projectId, "read");
    return c.json(toDocument(await documentOrThrow(c, projectId, documentId)), 200);
  },
);

documentRoutes.openapi(
  createRoute({
    method: "get",
    path: `${BASE}/text`,
    summary: "The document's extracted plain text, streamed",
    request: { params: DocumentParams, headers: BookmarkRequestHeaders },
    responses: {
      200: { description: "UTF-8 text", headers: bookmarkResponseHeader, content: { "text/plain": { schema: { type: "string" } } } },
      ...problems(401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { projectId, documentId } = c.req.valid("param");
    await enterProject(c, projectId, "read");
    const doc = await documentOrThrow(c, projectId, documentId);
    const obj = await c.env.BUCKET.get(doc.textKey);
    if (!obj) throw notFound(NOT_FOUND);
    // A streamed body has no typed-response form in @hono/zod-openapi; the schema above documents it.
    return new Response(obj.body, {
      headers: { "Content-Type": "text/plain; charset=utf-8", "Content-Length": String(obj.size), ETag: obj.httpEtag },
    }) as never;
  },
);

documentRoutes.openapi(
  createRoute({
    method: "get",
    path: `${BASE}/chunks`,
    summary: "The document's chunks, in order",
    request: { params: DocumentParams, query: ChunksQuery, headers: BookmarkRequestHeaders },
    responses: {
      200: { description: "A page of chunks", headers: bookmarkResponseHeader, content: { "application/json": { schema: ChunkList } } },
      ...problems(400, 401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { projectId, documentId } = c.req.valid("param");
    const q = c.req.valid("query");
    await enterProject(c, projectId, "read");
    const secret = loadConfig(c.env).cursorSecret;
    const scope = JSON.stringify(["chunks", projectId, documentId]);
    let after = -1;
    if (q.cursor !== undefined) {
      const position = await decodeCursor(secret, scope, q.cursor);
      if (typeof position !== "number" || !Number.isSafeInteger(position)) {
        throw badRequest("Invalid cursor: it is malformed, altered, or was issued for another document");
      }
      after = position;
    }
    const doc = await documentOrThrow(c, projectId, documentId);
    const from = after + 1;
    const count = Math.max(0, Math.min(q.limit, doc.chunkCount - from));
    const page = await readChunks(c.env.BUCKET, doc, from, count);
    const last = page[page.length - 1];
    const nextCursor = last && last.ordinal + 1 < doc.chunkCount ? await encodeCursor(secret, scope, last.ordinal) : null;
    const items = page.map((ch) => ({
      ordinal: ch.ordinal,
      text: ch.text,
      charStart: ch.charStart,
      charEnd: ch.charEnd,
      page: ch.page,
      contentHash: ch.contentHash,
    }));
    return c.json({ items, nextCursor }, 200);
  },
);

documentRoutes.openapi(
  createRoute({
    method: "delete",
    path: BASE,
    summary: "Delete a document: its text and chunks",
    request: { params: DocumentParams, headers: BookmarkRequestHeaders },
    responses: { 204: { description: "Deleted", headers: bookmarkResponseHeader }, ...problems(401, 403, 404, 429) },
  }),
  async (c) => {
    const { projectId, documentId } = c.req.valid("param");
    await enterProject(c, projectId, "delete");
    await documentOrThrow(c, projectId, documentId);
    await deleteDocumentOutputs(c.env.BUCKET, projectSession(c, projectId), projectId, documentId);
    return c.body(null, 204);
  },
);
