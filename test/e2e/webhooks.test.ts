/**
 * Webhooks against a real `wrangler dev` and real receivers on 127.0.0.1: the delivery
 * path the worker tests replace with a stubbed fetch, end to end.
 */
import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../scripts/lib/receiver.mjs";
import { SHARED_VARS, sharedServer, token, upload, waitForJob, type E2eServer } from "./dev-server";

// The shared server allows receivers on 127.0.0.1, retries 200 ms apart and times a
// receiver out after WEBHOOK_TIMEOUT_MS (SHARED_VARS).
const P = "e2e-webhooks";
let server: E2eServer;
let t: string;

beforeAll(async () => {
  server = await sharedServer();
  t = await token({ sub: "e2e", roles: ["admin"], projects: [P] });
});

async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}/api/projects/${P}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${t}`, "Content-Type": "application/json" },
  });
  return { status: res.status, body: res.status === 204 ? (null as T) : ((await res.json()) as T) };
}

interface Item {
  id: string;
  status: string;
  attempts: number;
  lastResponseStatus: number | null;
  lastError: string | null;
}

async function subscribe(receiver: Receiver, path: string): Promise<{ id: string; secret: string }> {
  const { status, body } = await api<{ id: string; secret: string }>("/webhooks", {
    method: "POST",
    body: JSON.stringify({ url: `${receiver.url}${path}`, events: ["job.completed"] }),
  });
  expect(status).toBe(201);
  return body;
}

async function settledDelivery(webhookId: string): Promise<Item> {
  for (let i = 0; i < 300; i++) {
    const { body } = await api<{ items: Item[] }>(`/webhooks/${webhookId}/deliveries`);
    if (body.items[0] && body.items[0].status !== "pending") return body.items[0];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("delivery never settled");
}

async function completeJob(): Promise<string> {
  const job = await upload(server.url, t, P, "A small document.", { filename: "a.txt", type: "text/plain" });
  await waitForJob(server.url, t, P, job.id);
  return job.id;
}

describe("webhooks against wrangler dev and a receiver on 127.0.0.1", () => {
  it("retries a receiver that fails twice, then succeeds: one delivery, 3 attempts, one webhook-id, verified by standardwebhooks", async () => {
    const receiver = await startReceiver({ answer: (_req, n) => (n < 2 ? 503 : 200) });
    try {
      const hook = await subscribe(receiver, "/flaky");
      const jobId = await completeJob();
      const d = await settledDelivery(hook.id);
      expect(d).toMatchObject({ status: "succeeded", attempts: 3, lastResponseStatus: 200, lastError: null });
      expect(receiver.received.map((r) => r.answer)).toEqual([503, 503, 200]);
      expect(new Set(receiver.received.map((r) => r.headers["webhook-id"]))).toEqual(new Set([d.id]));
      for (const r of receiver.received) {
        const frame = new Webhook(hook.secret).verify(r.body, r.headers as Record<string, string>);
        expect(frame).toMatchObject({ type: "job.completed", jobId, projectId: P });
      }
    } finally {
      await receiver.close();
    }
  });

  it("times out a receiver that holds the request open, logs it, and retries", async () => {
    const receiver = await startReceiver({ answer: (_req, n) => (n === 0 ? "hang" : 204) });
    try {
      const hook = await subscribe(receiver, "/hang");
      await completeJob();
      const d = await settledDelivery(hook.id);
      expect(d).toMatchObject({ status: "succeeded", attempts: 2, lastResponseStatus: 204 });
      expect(receiver.received.map((r) => r.answer)).toEqual(["hang", 204]);
      // The retry came after the timeout (WEBHOOK_TIMEOUT_MS) plus the 200 ms backoff.
      expect(receiver.received[1]!.at - receiver.received[0]!.at).toBeGreaterThanOrEqual(Number(SHARED_VARS.WEBHOOK_TIMEOUT_MS));
    } finally {
      await receiver.close();
    }
  });

  it("logs a refused connection as the attempt's error", async () => {
    const receiver = await startReceiver();
    const url = receiver.url;
    await receiver.close();
    const { body: hook } = await api<{ id: string }>("/webhooks", {
      method: "POST",
      body: JSON.stringify({ url: `${url}/closed`, events: ["job.completed"] }),
    });
    await completeJob();
    const d = await settledDelivery(hook.id);
    expect(d.status).toBe("failed");
    expect(d.attempts).toBe(6);
    expect(d.lastResponseStatus).toBeNull();
    expect(d.lastError).toMatch(/^request failed: /);
  });
});
