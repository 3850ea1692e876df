/** Batch routes (DESIGN §13), base `/api/projects/{projectId}/ingest`. */
import { createRoute, OpenAPIHono, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { toHex } from "../bytes";
import { acceptedBatches } from "../batches/accept-cache";
import { listProjectBatches } from "../batches/batch-index";
import type { BatchItemRow } from "../batches/batch-store";
import type { ItemSource } from "../batches/item-source";
import type { BatchReply } from "../batches/ingest-batch";
import type { Batch as BatchData, BatchInit } from "../batches/lifecycle";
import { checkArxivRequest } from "../arxiv/request";
import { checkSourceUrl } from "../batches/remote-source";
import { loadConfig } from "../config";
import {
  Batch,
  BatchEventLog,
  BatchItem,
  BatchItemList,
  BatchList,
  BatchParams,
  CreateBatchBody,
  ListBatchesQuery,
  ListBatchItemsQuery,
} from "../contract/batch";
import { GetJobHeaders } from "../contract/job";
import type { Env } from "../env";
import type { AppEnv } from "../http/app-env";
import { ApiRequestHeaders, apiResponseHeaders } from "../contract/headers";
import { ProjectParams } from "../contract/params";
import { problems } from "../contract/problem";
import { projectSession } from "../http/bookmark";
import { ORDINAL, PAGE_KEY, readCursor, writeCursor } from "../http/cursor";
import { badRequest, conflict, forbidden, notFound } from "../http/problem";
import { claimIdempotencyKey } from "../jobs/idempotency";
import { isJobId, uuidv7 } from "../jobs/ids";
import type { Access } from "../jobs/job-access";
import { DEFAULT_CHUNK_OPTIONS, validateChunkOptions } from "../pipeline/chunker";
import { enterProject } from "./access";
import { forwardedUpgrade, isUpgrade } from "./events";
import { EventsHeaders, EventsQuery } from "../contract/job-event";
import { validationHook } from "./validation";

export const batchRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const BASE = "/api/projects/{projectId}/ingest/batches";
const NOT_FOUND = "Batch not found";

/** The batch's Durable Object: one per batch id. */
export function batchStub(env: Env, batchId: string) {
  return env.INGEST_BATCH.get(env.INGEST_BATCH.idFromName(batchId));
}

/** The batch from a reply, or the problem for its refusal. */
export function batchOrThrow(reply: BatchReply): BatchData {
  if (reply.ok) return reply.batch;
  switch (reply.reason) {
    case "not_found":
      throw notFound(NOT_FOUND);
    case "forbidden":
      throw forbidden();
    case "not_cancellable":
      throw badRequest(`Batch cannot be cancelled. Current status: ${reply.status}`);
    case "not_deletable":
      throw badRequest(`Cannot delete batch with status ${reply.status}. Cancel the batch first, or wait for it to end.`);
    case "not_retryable":
      throw badRequest(reply.detail ?? `Batch has no failed items to retry. Current status: ${reply.status}`);
    case "closed":
      throw conflict(`Batch takes no more items (status ${reply.status}, closed or full): create a new batch`);
  }
}

/** Ids that cannot be batches are not found without waking an object. */
function requireBatchId(batchId: string): void {
  if (!isJobId(batchId)) throw notFound(NOT_FOUND);
}

/** A strong validator of the batch's representation (its counts change without a commit). */
async function batchETag(batch: BatchData): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(batch)));
  return `"${toHex(digest).slice(0, 32)}"`;
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

batchRoutes.openapi(
  createRoute({
    method: "post",
    path: BASE,
    summary: "Create a batch: an open upload batch, a list of URLs to fetch, or an arXiv harvest",
    request: { params: ProjectParams, headers: ApiRequestHeaders, body: { required: true, content: { "application/json": { schema: CreateBatchBody } } } },
    responses: {
      201: { description: "Created", headers: apiResponseHeaders("Location"), content: { "application/json": { schema: Batch } } },
      200: {
        description: "The batch first created with this Idempotency-Key",
        headers: apiResponseHeaders(),
        content: { "application/json": { schema: Batch } },
      },
      ...problems(400, 401, 403, 409, 415, 429),
    },
  }),
  async (c) => {
    const { projectId } = c.req.valid("param");
    const body = c.req.valid("json");
    const access = await enterProject(c, projectId, "create");
    const config = loadConfig(c.env);
    const chunkSize = body.options?.chunkSize ?? DEFAULT_CHUNK_OPTIONS.size;
    const chunkOverlap = body.options?.chunkOverlap ?? Math.min(DEFAULT_CHUNK_OPTIONS.overlap, Math.floor(chunkSize / 10));
    const optionProblem = validateChunkOptions({ size: chunkSize, overlap: chunkOverlap });
    if (optionProblem) throw badRequest(optionProblem);
    let urls: string[] | undefined;
    if (body.kind === "urls") {
      if (body.urls.length > config.batches.maxItems) throw badRequest(`A batch holds at most ${config.batches.maxItems} items; split the list`);
      urls = body.urls.map((raw, i) => {
        const verdict = checkSourceUrl(raw, config.batches.allowHttpLocalhost);
        if (!verdict.ok) throw badRequest(`urls[${i}]: ${verdict.reason}`);
        return verdict.url;
      });
    }
    const arxiv = body.kind === "arxiv" ? checkArxivRequest(c.env, body) : undefined;
    const batchId = uuidv7();
    const idempotencyKey = c.req.header("Idempotency-Key");
    if (idempotencyKey !== undefined) {
      if (!/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) throw badRequest("Idempotency-Key must be 1 to 255 characters, visible ASCII only");
      const hash = toHex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(body))));
      const claim = await claimIdempotencyKey(projectSession(c, projectId), projectId, `batch:${idempotencyKey}`, batchId, hash);
      if (!claim.won) {
        if (claim.requestHash !== hash) throw conflict("Idempotency-Key was already used with a different request");
        const first = (await batchStub(c.env, claim.jobId).get(access)) as BatchReply;
        if (first.ok) return c.json(first.batch, 200);
        throw conflict("A request with this Idempotency-Key is still being processed; retry shortly");
      }
    }
    const init: BatchInit = {
      id: batchId,
      projectId,
      kind: body.kind,
      options: { chunkSize, chunkOverlap, isDeepScan: body.options?.isDeepScan ?? false },
      source: body.kind === "urls" ? { urls: urls!.length } : arxiv ? { ...arxiv } : {},
      createdBy: access.principal.sub,
    };
    const batch = await batchStub(c.env, batchId).create(init, { urls, arxiv });
    return c.json(batch, 201, { Location: `/api/projects/${projectId}/ingest/batches/${batchId}` });
  },
);

batchRoutes.openapi(
  createRoute({
    method: "get",
    path: BASE,
    summary: "List a project's batches, newest first",
    request: { params: ProjectParams, query: ListBatchesQuery, headers: ApiRequestHeaders },
    responses: {
      200: { description: "A page of batches", headers: apiResponseHeaders(), content: { "application/json": { schema: BatchList } } },
      ...problems(400, 401, 403, 429),
    },
  }),
  async (c) => {
    const { projectId } = c.req.valid("param");
    const q = c.req.valid("query");
    await enterProject(c, projectId, "read");
    const secret = loadConfig(c.env).cursorSecret;
    const scope = ["batches", projectId, q.status ?? null, q.kind ?? null];
    const after = await readCursor(secret, scope, q.cursor, PAGE_KEY);
    const page = await listProjectBatches(projectSession(c, projectId), projectId, q, after, q.limit);
    return c.json({ items: page.items, nextCursor: await writeCursor(secret, scope, page.next, PAGE_KEY), total: page.total }, 200);
  },
);

batchRoutes.openapi(
  createRoute({
    method: "get",
    path: `${BASE}/{batchId}`,
    summary: "Get one batch with its counts",
    request: { params: BatchParams, headers: GetJobHeaders },
    responses: {
      200: { description: "The batch", headers: apiResponseHeaders("ETag"), content: { "application/json": { schema: Batch } } },
      304: { description: "Not Modified: `If-None-Match` holds the batch's current `ETag`", headers: apiResponseHeaders("ETag") },
      ...problems(401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { projectId, batchId } = c.req.valid("param");
    const access = await enterProject(c, projectId, "read");
    requireBatchId(batchId);
    const batch = batchOrThrow(await batchStub(c.env, batchId).get(access));
    const etag = await batchETag(batch);
    if (ifNoneMatch(c.req.header("If-None-Match"), etag)) return c.body(null, 304, { ETag: etag });
    return c.json(batch, 200, { ETag: etag });
  },
);

/** One of the batch's commands: project and role checks, one call to its object. */
function batchCommand(
  path: string,
  summary: string,
  action: "create" | "cancel" | "retry" | "read",
  run: (stub: ReturnType<typeof batchStub>, access: Access, batchId: string) => Promise<BatchReply>,
) {
  batchRoutes.openapi(
    createRoute({
      method: "post",
      path: `${BASE}/{batchId}/${path}`,
      summary,
      request: { params: BatchParams, headers: ApiRequestHeaders },
      responses: {
        200: { description: "The batch after the command", headers: apiResponseHeaders(), content: { "application/json": { schema: Batch } } },
        ...problems(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const { projectId, batchId } = c.req.valid("param");
      const access = await enterProject(c, projectId, action);
      requireBatchId(batchId);
      return c.json(batchOrThrow(await run(batchStub(c.env, batchId), access, batchId)), 200);
    },
  );
}

batchCommand("close", "Close an upload batch: no more items will be added", "create", (stub, access, batchId) =>
  endingIntake(batchId, () => stub.close(access)),
);
batchCommand("cancel", "Cancel a batch: it and every unfinished item end CANCELLED; no item starts after the reply", "cancel", (stub, access, batchId) =>
  endingIntake(batchId, () => stub.cancel(access)),
);
batchCommand(
  "retry",
  "Retry every failed item a retry can mend: the same item and job run again (the job's own retry), as slots free up",
  "retry",
  (stub, access) => stub.retry(access),
);

batchRoutes.openapi(
  createRoute({
    method: "delete",
    path: `${BASE}/{batchId}`,
    summary: "Delete a finished batch (its items' jobs and documents stay)",
    request: { params: BatchParams, headers: ApiRequestHeaders },
    responses: { 204: { description: "Deleted", headers: apiResponseHeaders() }, ...problems(400, 401, 403, 404, 429) },
  }),
  async (c) => {
    const { projectId, batchId } = c.req.valid("param");
    const access = await enterProject(c, projectId, "delete");
    requireBatchId(batchId);
    batchOrThrow(await endingIntake(batchId, () => batchStub(c.env, batchId).remove(access)));
    return c.body(null, 204);
  },
);

function itemView(i: BatchItemRow & ItemSource): z.infer<typeof BatchItem> {
  return {
    id: i.id,
    status: i.state,
    source: i.ref,
    title: i.title,
    sourceUrl: i.sourceUrl,
    jobId: i.hasJob ? i.id : null,
    job: i.job as z.infer<typeof BatchItem>["job"],
    error: i.error,
    retries: i.retries,
    updatedAt: i.updatedAt,
  };
}

batchRoutes.openapi(
  createRoute({
    method: "get",
    path: `${BASE}/{batchId}/items`,
    summary: "A batch's items in order: each item's job summary, source reference and error",
    request: { params: BatchParams, query: ListBatchItemsQuery, headers: ApiRequestHeaders },
    responses: {
      200: { description: "A page of items", headers: apiResponseHeaders(), content: { "application/json": { schema: BatchItemList } } },
      ...problems(400, 401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { projectId, batchId } = c.req.valid("param");
    const q = c.req.valid("query");
    const access = await enterProject(c, projectId, "read");
    requireBatchId(batchId);
    const secret = loadConfig(c.env).cursorSecret;
    const scope = ["batch-items", projectId, batchId, q.status ?? null];
    const after = (await readCursor(secret, scope, q.cursor, ORDINAL)) ?? 0;
    const reply = await batchStub(c.env, batchId).items(access, after, q.limit + 1, q.status);
    if (!reply.ok) batchOrThrow(reply);
    const rows = reply.ok ? reply.items : [];
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const nextCursor = await writeCursor(secret, scope, rows.length > q.limit && last ? last.ordinal : null, ORDINAL);
    return c.json({ items: page.map(itemView), nextCursor }, 200);
  },
);

batchRoutes.openapi(
  createRoute({
    method: "get",
    path: `${BASE}/{batchId}/events`,
    summary: "A batch's events: live over WebSocket (Upgrade), or the stored log as JSON",
    description:
      "With `Upgrade: websocket`: a `batch.snapshot` frame, then every event as it is logged; with `?after=<seq>`, the missed events first. Without the upgrade: the stored log after `after`.",
    request: { params: BatchParams, query: EventsQuery, headers: EventsHeaders },
    responses: {
      200: { description: "The stored event log", headers: apiResponseHeaders(), content: { "application/json": { schema: BatchEventLog } } },
      101: { description: "Switching Protocols (WebSocket)", headers: apiResponseHeaders() },
      ...problems(400, 401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { projectId, batchId } = c.req.valid("param");
    const { after } = c.req.valid("query");
    const access = await enterProject(c, projectId, "read");
    requireBatchId(batchId);
    const stub = batchStub(c.env, batchId);
    if (isUpgrade(c as unknown as Context<AppEnv>)) {
      return stub.fetch(forwardedUpgrade(c as unknown as Context<AppEnv>, c.req.query("after") === undefined ? null : after, access)) as unknown as Response;
    }
    const reply = await stub.events(access, after);
    if (!reply.ok) return batchOrThrow(reply) as never;
    return c.json({ items: reply.events as never, lastSeq: reply.lastSeq }, 200);
  },
);

/**
 * For `POST /jobs?batchId=`: the batch must exist in the project, accept items, and allow
 * the caller. A "yes" is remembered for a moment (src/batches/accept-cache.ts: the item's
 * creation report is checked by the batch again), so a client adding many files asks the
 * batch's object about once per couple of seconds, not once per file.
 */
export async function requireOpenBatch(env: Env, batchId: string, access: Access): Promise<void> {
  if (!isJobId(batchId)) throw notFound(NOT_FOUND);
  await acceptedBatches.requireAccepting(batchId, access, async () => {
    batchOrThrow(await batchStub(env, batchId).accepting(access));
  });
}

/** Runs a command that may end the batch's intake, then forgets this isolate's "yes" answers about it. */
export async function endingIntake(batchId: string, command: () => Promise<BatchReply>): Promise<BatchReply> {
  try {
    return await command();
  } finally {
    acceptedBatches.forget(batchId);
  }
}
