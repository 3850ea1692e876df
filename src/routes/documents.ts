/** Documents routes (DESIGN §4), base `/api/projects/{projectId}/documents`. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { loadConfig } from "../config";
import type { DocumentRow } from "../db/schema";
import { ChunkList, Document, DocumentList, ListDocumentsQuery } from "../contract/document";
import { ApiRequestHeaders, apiResponseHeaders } from "../contract/headers";
import { PageQuery } from "../contract/page";
import { DocumentParams, ProjectParams } from "../contract/params";
import { problems } from "../contract/problem";
import { deleteDocumentOutputs, getDocument, listProjectDocuments, readChunks } from "../documents/document-store";
import type { AppEnv } from "../http/app-env";
import { projectSession } from "../http/bookmark";
import { ORDINAL, PAGE_KEY, readCursor, writeCursor } from "../http/cursor";
import { notFound } from "../http/problem";
import { enterProject } from "./access";
import { validationHook } from "./validation";

export const documentRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const LIST = "/api/projects/{projectId}/documents";
const BASE = `${LIST}/{documentId}`;
const NOT_FOUND = "Document not found";

function toDocument(d: DocumentRow): Document {
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
    request: { params: ProjectParams, query: ListDocumentsQuery, headers: ApiRequestHeaders },
    responses: {
      200: { description: "A page of documents", headers: apiResponseHeaders(), content: { "application/json": { schema: DocumentList } } },
      ...problems(400, 401, 403, 429),
    },
  }),
  async (c) => {
    const { projectId } = c.req.valid("param");
    const q = c.req.valid("query");
    await enterProject(c, projectId, "read");
    const filters = { contentHash: q.contentHash, language: q.language, duplicateOf: q.duplicateOf, q: q.q };
    const secret = loadConfig(c.env).cursorSecret;
    const scope = ["documents", projectId, q.contentHash ?? null, q.language ?? null, q.duplicateOf ?? null, q.q ?? null];
    const after = await readCursor(secret, scope, q.cursor, PAGE_KEY);
    const page = await listProjectDocuments(projectSession(c, projectId), projectId, filters, after, q.limit);
    return c.json({ items: page.items.map(toDocument), nextCursor: await writeCursor(secret, scope, page.next, PAGE_KEY), total: page.total }, 200);
  },
);

documentRoutes.openapi(
  createRoute({
    method: "get",
    path: BASE,
    summary: "Get a canonical document",
    request: { params: DocumentParams, headers: ApiRequestHeaders },
    responses: {
      200: { description: "The document", headers: apiResponseHeaders(), content: { "application/json": { schema: Document } } },
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
    request: { params: DocumentParams, headers: ApiRequestHeaders },
    responses: {
      200: { description: "UTF-8 text", headers: apiResponseHeaders(), content: { "text/plain": { schema: { type: "string" } } } },
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
    request: { params: DocumentParams, query: PageQuery, headers: ApiRequestHeaders },
    responses: {
      200: { description: "A page of chunks", headers: apiResponseHeaders(), content: { "application/json": { schema: ChunkList } } },
      ...problems(400, 401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { projectId, documentId } = c.req.valid("param");
    const q = c.req.valid("query");
    await enterProject(c, projectId, "read");
    const secret = loadConfig(c.env).cursorSecret;
    const scope = ["chunks", projectId, documentId];
    const after = (await readCursor(secret, scope, q.cursor, ORDINAL)) ?? -1;
    const doc = await documentOrThrow(c, projectId, documentId);
    const from = after + 1;
    const count = Math.max(0, Math.min(q.limit, doc.chunkCount - from));
    const page = await readChunks(c.env.BUCKET, doc, from, count);
    if (!page) throw notFound(NOT_FOUND);
    const last = page[page.length - 1];
    const nextCursor = await writeCursor(secret, scope, last && last.ordinal + 1 < doc.chunkCount ? last.ordinal : null, ORDINAL);
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
    request: { params: DocumentParams, headers: ApiRequestHeaders },
    responses: { 204: { description: "Deleted", headers: apiResponseHeaders() }, ...problems(401, 403, 404, 429) },
  }),
  async (c) => {
    const { projectId, documentId } = c.req.valid("param");
    await enterProject(c, projectId, "delete");
    const found = await getDocument(projectSession(c, projectId), projectId, documentId);
    // The job that produced it says so first: a delete that fails after this is finished by
    // a retry, while one that had removed the row could no longer find the job.
    if (found) await c.env.INGEST_JOB.get(c.env.INGEST_JOB.idFromName(found.jobId)).documentDeleted(documentId);
    // Run even when the row is gone: it finishes a delete that stopped between D1 and R2.
    await deleteDocumentOutputs(c.env.BUCKET, projectSession(c, projectId), projectId, documentId);
    if (!found) throw notFound(NOT_FOUND);
    return c.body(null, 204);
  },
);
