/** Webhook route helpers for tests. */
import { expect, vi } from "vitest";
import type { components } from "../../src/client/generated/openapi";
import { call } from "../helpers";

export const webhooksPath = (projectId: string) => `/api/projects/${projectId}/webhooks`;

/** A created subscription and one delivery, as the API returns them (the SDK's generated types). */
export type CreatedWebhook = components["schemas"]["WebhookWithSecret"];
export type DeliveryItem = components["schemas"]["WebhookDelivery"];

export async function createWebhook(t: string, projectId: string, body: Record<string, unknown>): Promise<CreatedWebhook> {
  const res = await call(webhooksPath(projectId), { method: "POST", token: t, body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

export async function deliveries(
  t: string,
  projectId: string,
  webhookId: string,
  query = "",
): Promise<{ items: DeliveryItem[]; nextCursor: string | null; total: number }> {
  const res = await call(`${webhooksPath(projectId)}/${webhookId}/deliveries${query}`, { token: t });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

/** Waits until every delivery of the webhook has finished and there are at least `n`. */
export async function settled(t: string, projectId: string, webhookId: string, n: number, timeout = 10_000): Promise<DeliveryItem[]> {
  return vi.waitFor(
    async () => {
      const page = await deliveries(t, projectId, webhookId, "?limit=100");
      if (page.items.length < n || page.items.some((d) => d.status === "pending"))
        throw new Error(`not settled: ${JSON.stringify(page.items.map((d) => [d.eventType, d.status, d.attempts]))}`);
      return page.items;
    },
    { timeout, interval: 50 },
  );
}
