/**
 * Webhook subscriptions in D1 (DESIGN §1, §9): project-scoped rows, listed newest first
 * by keyset on (created_at, id). Every query names its project, through `projectDb`.
 * Secrets are sealed before they reach this module and opened only by the hub.
 */
import { and, count, desc, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { webhookSubscriptions, type WebhookSubscriptionRow } from "../db/schema";
import type { Env } from "../env";
import { projectDb } from "../db/shards";

/** A subscription as the API shows it: never the secret. */
export interface WebhookSubscription {
  id: string;
  projectId: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A subscription as the hub needs it to deliver: with the sealed secret. */
export interface SubscriptionForDelivery {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  sealedSecret: string;
}

export interface SubscriptionKey {
  createdAt: number;
  id: string;
}

export function toSubscription(r: WebhookSubscriptionRow): WebhookSubscription {
  return {
    id: r.id,
    projectId: r.projectId,
    url: r.url,
    events: JSON.parse(r.events) as string[],
    description: r.description,
    enabled: r.enabled,
    createdAt: new Date(r.createdAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
  };
}

const db = (env: Env, projectId: string) => drizzle(projectDb(env, projectId));

/** Subscriptions per project: each one multiplies every event's deliveries. */
export const MAX_WEBHOOKS_PER_PROJECT = 20;

/**
 * Inserts the row unless its project already has `MAX_WEBHOOKS_PER_PROJECT`; false when
 * it is full. The count and the insert are one statement, so concurrent creates cannot
 * all pass the check before any of them inserts.
 */
export async function insertSubscription(env: Env, row: WebhookSubscriptionRow): Promise<boolean> {
  const result = await projectDb(env, row.projectId)
    .prepare(
      `INSERT INTO webhook_subscriptions (id, project_id, url, events, description, enabled, sealed_secret, created_by, created_at, updated_at)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE (SELECT count(*) FROM webhook_subscriptions WHERE project_id = ?) < ?`,
    )
    .bind(
      row.id,
      row.projectId,
      row.url,
      row.events,
      row.description,
      row.enabled ? 1 : 0,
      row.sealedSecret,
      row.createdBy,
      row.createdAt,
      row.updatedAt,
      row.projectId,
      MAX_WEBHOOKS_PER_PROJECT,
    )
    .run();
  return result.meta.changes > 0;
}

export async function findSubscription(env: Env, projectId: string, id: string): Promise<WebhookSubscriptionRow | null> {
  const rows = await db(env, projectId)
    .select()
    .from(webhookSubscriptions)
    .where(and(eq(webhookSubscriptions.projectId, projectId), eq(webhookSubscriptions.id, id)))
    .limit(1);
  return rows[0] ?? null;
}

/** Applies `changes` and returns the updated row, or null when there is no such subscription. */
export async function updateSubscription(
  env: Env,
  projectId: string,
  id: string,
  changes: Partial<Pick<WebhookSubscriptionRow, "url" | "events" | "description" | "enabled" | "sealedSecret">>,
  now = Date.now(),
): Promise<WebhookSubscriptionRow | null> {
  const rows = await db(env, projectId)
    .update(webhookSubscriptions)
    .set({ ...changes, updatedAt: now })
    .where(and(eq(webhookSubscriptions.projectId, projectId), eq(webhookSubscriptions.id, id)))
    .returning();
  return rows[0] ?? null;
}

/** True when a row was deleted. */
export async function deleteSubscription(env: Env, projectId: string, id: string): Promise<boolean> {
  const rows = await db(env, projectId)
    .delete(webhookSubscriptions)
    .where(and(eq(webhookSubscriptions.projectId, projectId), eq(webhookSubscriptions.id, id)))
    .returning({ id: webhookSubscriptions.id });
  return rows.length > 0;
}

/** One page, newest first, plus the project's total; `next` is the last row's key when more follow. */
export async function listSubscriptions(
  env: Env,
  projectId: string,
  after: SubscriptionKey | null,
  limit: number,
): Promise<{ items: WebhookSubscription[]; next: SubscriptionKey | null; total: number }> {
  const d = db(env, projectId);
  const mine = eq(webhookSubscriptions.projectId, projectId);
  const where = after ? and(mine, sql`(${webhookSubscriptions.createdAt}, ${webhookSubscriptions.id}) < (${after.createdAt}, ${after.id})`) : mine;
  const [rows, totals] = await d.batch([
    d
      .select()
      .from(webhookSubscriptions)
      .where(where)
      .orderBy(desc(webhookSubscriptions.createdAt), desc(webhookSubscriptions.id))
      .limit(limit + 1),
    d.select({ total: count() }).from(webhookSubscriptions).where(mine),
  ]);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toSubscription),
    next: rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null,
    total: totals[0]?.total ?? 0,
  };
}

/** Every subscription of the project, for the hub's cache (a project has few). */
export async function subscriptionsForDelivery(env: Env, projectId: string): Promise<SubscriptionForDelivery[]> {
  const rows = await db(env, projectId)
    .select({
      id: webhookSubscriptions.id,
      url: webhookSubscriptions.url,
      events: webhookSubscriptions.events,
      enabled: webhookSubscriptions.enabled,
      sealedSecret: webhookSubscriptions.sealedSecret,
    })
    .from(webhookSubscriptions)
    .where(eq(webhookSubscriptions.projectId, projectId));
  return rows.map((r) => ({ ...r, events: JSON.parse(r.events) as string[] }));
}
