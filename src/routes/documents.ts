/** Documents routes (DESIGN §4), base `/api/projects/{projectId}/documents`. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { loadConfig } from "../config";
import type { DocumentRow } from "../db/schema";
import { deleteDocumentOutputs, getDocument, listChunks } from "../documents/document-store";
import type { AppEnv } from "../http/app-env";
import { BookmarkRequestHeaders, bookmarkResponseHeader, projectSession } from "../http/bookmark";
import { decodeCursor, encodeCursor } from "../http/cursor";
import { badRequest, notFound } from "../http/problem";
import { enterProject } from "./access";
import { ChunkList, ChunksQuery, Document, DocumentParams, problems } from "./schemas";
import { validationHook } from "./validation";

export const documentRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const BASE = "/api/projects/{projectId}/documents/{documentId}";
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
    path: BASE,
    summary: "Get a canonical document",
    request: { params: DocumentParams, headers: BookmarkRequestHeaders },
    responses: { 200: { description: "The document", headers: bookmarkResponseHeader, content: { "application/json": { schema: Document } } }, ...problems(401, 403, 404, 429) },
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
    responses: { 200: { description: "UTF-8 text", headers: bookmarkResponseHeader, content: { "text/plain": { schema: { type: "string" } } } }, ...problems(401, 403, 404, 429) },
  }),
  async (c) => {
    const { projectId, documentId } = c.req.valid("param");
    await enterProject(c, projectId, "read");
    const doc = await documentOrThrow(c, projectId, documentId);
    const obj = await c.env.BUCKET.get(doc.textKey);
    if (!obj) throw notFound(NOT_FOUND);
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
    responses: { 200: { description: "A page of chunks", headers: bookmarkResponseHeader, content: { "application/json": { schema: ChunkList } } }, ...problems(400, 401, 403, 404, 429) },
  }),
  async (c) => {
    const { projectId, documentId } = c.req.valid("param");
    const q = c.req.valid("query");
    await enterProject(c, projectId, "read");
    await documentOrThrow(c, projectId, documentId);
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
    const rows = await listChunks(projectSession(c, projectId), documentId, after, q.limit);
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > q.limit && last ? await encodeCursor(secret, scope, last.ordinal) : null;
    const items = page.map(({ documentId: _d, ...chunk }) => chunk);
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
    await deleteDocumentOutputs(c.env, { projectId }, documentId, projectSession(c, projectId));
    return c.body(null, 204);
  },
);
