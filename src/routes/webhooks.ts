/**
 * Webhook routes (DESIGN §9), base `/api/projects/{projectId}/webhooks`. Subscriptions
 * are rows in the project's D1 shard; each change is then told to the project's hub,
 * which caches them and owns the deliveries and their log.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { loadConfig } from "../config";
import type { PageKey } from "../db/keyset";
import type { WebhookSubscriptionRow } from "../db/schema";
import type { Env } from "../env";
import type { AppEnv } from "../http/app-env";
import { ApiRequestHeaders, apiResponseHeaders } from "../contract/headers";
import { PageQuery } from "../contract/page";
import { DeliveryParams, ProjectParams, WebhookParams } from "../contract/params";
import { problems } from "../contract/problem";
import { CreateWebhookBody, Delivery, DeliveryList, UpdateWebhookBody, Webhook, WebhookList, WebhookWithSecret } from "../contract/webhook";
import { PAGE_KEY, readCursor, writeCursor, type CursorScope } from "../http/cursor";
import { badRequest, notFound } from "../http/problem";
import { uuidv7 } from "../jobs/ids";
import { encryptSecret, generateSecret } from "../webhooks/secrets";
import {
  deleteSubscription,
  findSubscription,
  insertSubscription,
  listSubscriptions,
  MAX_WEBHOOKS_PER_PROJECT,
  toSubscription,
  updateSubscription,
} from "../webhooks/subscriptions";
import { checkRemoteUrl } from "../net/url-rules";
import { enterProject } from "./access";
import { validationHook } from "./validation";

export const webhookRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const BASE = "/api/projects/{projectId}/webhooks";
const NOT_FOUND = "Webhook not found";
const DELIVERY_NOT_FOUND = "Delivery not found";

const WEBHOOK_ID = /^wh_[0-9a-f]{32}$/;
const DELIVERY_ID = /^msg_[0-9a-f]{32}$/;

function hub(env: Env, projectId: string) {
  return env.PROJECT_HUB.get(env.PROJECT_HUB.idFromName(projectId));
}

function newWebhookId(): string {
  return `wh_${uuidv7().replaceAll("-", "")}`;
}

function requireUrl(env: Env, url: string): string {
  const verdict = checkRemoteUrl(url, loadConfig(env).webhooks.allowHttpLocalhost);
  if (!verdict.ok) throw badRequest(verdict.reason);
  return verdict.url;
}

/** The subscription in this project, or 404 (ids of other projects are simply not found). */
async function subscriptionOrThrow(env: Env, projectId: string, webhookId: string): Promise<WebhookSubscriptionRow> {
  const row = WEBHOOK_ID.test(webhookId) ? await findSubscription(env, projectId, webhookId) : null;
  if (!row) throw notFound(NOT_FOUND);
  return row;
}

/** The page position in the request's cursor, for this list. */
function pageAfter(c: Context<AppEnv>, scope: CursorScope, cursor: string | undefined) {
  return readCursor(loadConfig(c.env).cursorSecret, scope, cursor, PAGE_KEY);
}

function nextPageCursor(c: Context<AppEnv>, scope: CursorScope, next: PageKey | null) {
  return writeCursor(loadConfig(c.env).cursorSecret, scope, next, PAGE_KEY);
}

webhookRoutes.openapi(
  createRoute({
    method: "post",
    path: BASE,
    summary: "Subscribe a URL to the project's job events (admin)",
    description: "The response carries the signing `secret` (`whsec_…`); it is never shown again except on rotation.",
    request: { params: ProjectParams, headers: ApiRequestHeaders, body: { required: true, content: { "application/json": { schema: CreateWebhookBody } } } },
    responses: {
      201: {
        description: "The subscription, with its secret",
        headers: apiResponseHeaders("Location"),
        content: { "application/json": { schema: WebhookWithSecret } },
      },
      ...problems(400, 401, 403, 415, 429),
    },
  }),
  async (c) => {
    const { projectId } = c.req.valid("param");
    const body = c.req.valid("json");
    await enterProject(c, projectId, "manageWebhooks");
    const url = requireUrl(c.env, body.url);
    const id = newWebhookId();
    const secret = generateSecret();
    const now = Date.now();
    const row: WebhookSubscriptionRow = {
      id,
      projectId,
      url,
      events: JSON.stringify(body.events),
      description: body.description ?? null,
      enabled: true,
      sealedSecret: await encryptSecret(loadConfig(c.env).webhooks.secretKey, id, secret),
      createdBy: c.get("principal").sub,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await insertSubscription(c.env, row))) {
      throw badRequest(`A project has at most ${MAX_WEBHOOKS_PER_PROJECT} webhooks: delete one before adding another`);
    }
    await hub(c.env, projectId).invalidateWebhooks();
    c.header("Location", `/api/projects/${encodeURIComponent(projectId)}/webhooks/${id}`);
    return c.json({ ...toSubscription(row), secret }, 201);
  },
);

webhookRoutes.openapi(
  createRoute({
    method: "get",
    path: BASE,
    summary: "List the project's webhooks, newest first (no secrets)",
    request: { params: ProjectParams, query: PageQuery, headers: ApiRequestHeaders },
    responses: {
      200: { description: "A page of webhooks", headers: apiResponseHeaders(), content: { "application/json": { schema: WebhookList } } },
      ...problems(400, 401, 403, 429),
    },
  }),
  async (c) => {
    const { projectId } = c.req.valid("param");
    const q = c.req.valid("query");
    await enterProject(c, projectId, "readWebhooks");
    const scope = ["webhooks", projectId];
    const page = await listSubscriptions(c.env, projectId, await pageAfter(c, scope, q.cursor), q.limit);
    return c.json({ items: page.items, nextCursor: await nextPageCursor(c, scope, page.next), total: page.total }, 200);
  },
);

webhookRoutes.openapi(
  createRoute({
    method: "get",
    path: `${BASE}/{webhookId}`,
    summary: "Get a webhook (no secret)",
    request: { params: WebhookParams, headers: ApiRequestHeaders },
    responses: {
      200: { description: "The webhook", headers: apiResponseHeaders(), content: { "application/json": { schema: Webhook } } },
      ...problems(401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { projectId, webhookId } = c.req.valid("param");
    await enterProject(c, projectId, "readWebhooks");
    return c.json(toSubscription(await subscriptionOrThrow(c.env, projectId, webhookId)), 200);
  },
);

webhookRoutes.openapi(
  createRoute({
    method: "patch",
    path: `${BASE}/{webhookId}`,
    summary: "Change a webhook's url, events, enabled or description (admin)",
    request: { params: WebhookParams, headers: ApiRequestHeaders, body: { required: true, content: { "application/json": { schema: UpdateWebhookBody } } } },
    responses: {
      200: { description: "The updated webhook", headers: apiResponseHeaders(), content: { "application/json": { schema: Webhook } } },
      ...problems(400, 401, 403, 404, 415, 429),
    },
  }),
  async (c) => {
    const { projectId, webhookId } = c.req.valid("param");
    const body = c.req.valid("json");
    await enterProject(c, projectId, "manageWebhooks");
    const url = body.url === undefined ? undefined : requireUrl(c.env, body.url);
    if (!WEBHOOK_ID.test(webhookId)) throw notFound(NOT_FOUND);
    const row = await updateSubscription(c.env, projectId, webhookId, {
      ...(url === undefined ? {} : { url }),
      ...(body.events === undefined ? {} : { events: JSON.stringify(body.events) }),
      ...(body.enabled === undefined ? {} : { enabled: body.enabled }),
      ...(body.description === undefined ? {} : { description: body.description }),
    });
    if (!row) throw notFound(NOT_FOUND);
    await hub(c.env, projectId).invalidateWebhooks();
    return c.json(toSubscription(row), 200);
  },
);

webhookRoutes.openapi(
  createRoute({
    method: "delete",
    path: `${BASE}/{webhookId}`,
    summary: "Delete a webhook, its pending deliveries and its delivery log (admin)",
    request: { params: WebhookParams, headers: ApiRequestHeaders },
    responses: { 204: { description: "Deleted", headers: apiResponseHeaders() }, ...problems(401, 403, 404, 429) },
  }),
  async (c) => {
    const { projectId, webhookId } = c.req.valid("param");
    await enterProject(c, projectId, "manageWebhooks");
    if (!WEBHOOK_ID.test(webhookId) || !(await deleteSubscription(c.env, projectId, webhookId))) throw notFound(NOT_FOUND);
    await hub(c.env, projectId).forgetWebhook(webhookId);
    return c.body(null, 204);
  },
);

webhookRoutes.openapi(
  createRoute({
    method: "post",
    path: `${BASE}/{webhookId}/rotate-secret`,
    summary: "Replace a webhook's signing secret (admin); later attempts are signed with the new one",
    request: { params: WebhookParams, headers: ApiRequestHeaders },
    responses: {
      200: { description: "The webhook with its new secret", headers: apiResponseHeaders(), content: { "application/json": { schema: WebhookWithSecret } } },
      ...problems(401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { projectId, webhookId } = c.req.valid("param");
    await enterProject(c, projectId, "manageWebhooks");
    if (!WEBHOOK_ID.test(webhookId)) throw notFound(NOT_FOUND);
    const secret = generateSecret();
    const sealedSecret = await encryptSecret(loadConfig(c.env).webhooks.secretKey, webhookId, secret);
    const row = await updateSubscription(c.env, projectId, webhookId, { sealedSecret });
    if (!row) throw notFound(NOT_FOUND);
    await hub(c.env, projectId).invalidateWebhooks();
    return c.json({ ...toSubscription(row), secret }, 200);
  },
);

webhookRoutes.openapi(
  createRoute({
    method: "get",
    path: `${BASE}/{webhookId}/deliveries`,
    summary: "A webhook's delivery log, newest first",
    request: { params: WebhookParams, query: PageQuery, headers: ApiRequestHeaders },
    responses: {
      200: { description: "A page of deliveries", headers: apiResponseHeaders(), content: { "application/json": { schema: DeliveryList } } },
      ...problems(400, 401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { projectId, webhookId } = c.req.valid("param");
    const q = c.req.valid("query");
    await enterProject(c, projectId, "readWebhooks");
    await subscriptionOrThrow(c.env, projectId, webhookId);
    const scope = ["deliveries", projectId, webhookId];
    const page = await hub(c.env, projectId).listDeliveries(webhookId, await pageAfter(c, scope, q.cursor), q.limit);
    return c.json({ items: page.items.map(withoutWebhookId), nextCursor: await nextPageCursor(c, scope, page.next), total: page.total }, 200);
  },
);

webhookRoutes.openapi(
  createRoute({
    method: "post",
    path: `${BASE}/{webhookId}/deliveries/{deliveryId}/redeliver`,
    summary: "Send a logged delivery again, with the same webhook-id (admin)",
    request: { params: DeliveryParams, headers: ApiRequestHeaders },
    responses: {
      202: { description: "Queued", headers: apiResponseHeaders(), content: { "application/json": { schema: Delivery } } },
      ...problems(401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { projectId, webhookId, deliveryId } = c.req.valid("param");
    await enterProject(c, projectId, "manageWebhooks");
    await subscriptionOrThrow(c.env, projectId, webhookId);
    const delivery = DELIVERY_ID.test(deliveryId) ? await hub(c.env, projectId).redeliver(webhookId, deliveryId) : null;
    if (!delivery) throw notFound(DELIVERY_NOT_FOUND);
    return c.json(withoutWebhookId(delivery), 202);
  },
);

webhookRoutes.openapi(
  createRoute({
    method: "post",
    path: `${BASE}/{webhookId}/test`,
    summary: "Send a webhook.test event to the webhook (admin)",
    request: { params: WebhookParams, headers: ApiRequestHeaders },
    responses: {
      202: { description: "Queued", headers: apiResponseHeaders(), content: { "application/json": { schema: Delivery } } },
      ...problems(401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { projectId, webhookId } = c.req.valid("param");
    await enterProject(c, projectId, "manageWebhooks");
    await subscriptionOrThrow(c.env, projectId, webhookId);
    return c.json(withoutWebhookId(await hub(c.env, projectId).sendTest(webhookId)), 202);
  },
);

/** The log entry as DESIGN §9 lists it (the webhook is the route's own). */
function withoutWebhookId<T extends { webhookId: string }>(d: T): Omit<T, "webhookId"> {
  const { webhookId: _omit, ...rest } = d;
  return rest;
}
