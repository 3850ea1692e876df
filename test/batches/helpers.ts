/** Batch test helpers: create batches and items through the Worker, drive their jobs, check counts. */
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { Batch } from "../../src/batches/lifecycle";
import { batchStub as routeBatchStub } from "../../src/routes/batches";
import { call, drive, jobsPath } from "../helpers";

export const batchesPath = (projectId: string) => `/api/projects/${projectId}/ingest/batches`;

export function batchStub(batchId: string) {
  return routeBatchStub(env, batchId);
}

export async function createBatch(t: string, projectId: string, body: Record<string, unknown> = { kind: "upload" }): Promise<Batch> {
  const res = await call(batchesPath(projectId), { method: "POST", token: t, body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
  if (res.status !== 201) throw new Error(`batch create failed: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Adds a file to an upload batch with the raw route; returns the response. */
export function addItem(
  t: string,
  projectId: string,
  batchId: string,
  body: string | Uint8Array,
  filename = "doc.txt",
  type = "text/plain",
): Promise<Response> {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  return call(`${jobsPath(projectId)}?${new URLSearchParams({ filename, batchId })}`, {
    method: "POST",
    token: t,
    body: bytes,
    headers: { "Content-Type": type, "Content-Length": String(bytes.byteLength) },
  });
}

export async function getBatch(t: string, projectId: string, batchId: string): Promise<Batch> {
  const res = await call(`${batchesPath(projectId)}/${batchId}`, { token: t });
  if (res.status !== 200) throw new Error(`batch get failed: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function post(t: string, path: string): Promise<Response> {
  return call(path, { method: "POST", token: t });
}

export interface Item {
  id: string;
  status: string;
  source: string;
  jobId: string | null;
  error: { code: string; message: string } | null;
  retries: number;
}

export async function allItems(t: string, projectId: string, batchId: string, status?: string): Promise<Item[]> {
  const out: Item[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({ limit: "3" });
    if (cursor) q.set("cursor", cursor);
    if (status) q.set("status", status);
    const res = await call(`${batchesPath(projectId)}/${batchId}/items?${q}`, { token: t });
    expect(res.status).toBe(200);
    const page = await res.json<{ items: Item[]; nextCursor: string | null }>();
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** The invariant: the counts add up, and they equal the items' own states. */
export async function expectCountsAddUp(t: string, projectId: string, batchId: string): Promise<Batch> {
  const batch = await getBatch(t, projectId, batchId);
  const c = batch.counts;
  expect(c.total).toBe(c.queued + c.running + c.completed + c.failed + c.cancelled + c.skipped);
  const counted = await allItems(t, projectId, batchId);
  expect(c.total).toBe(counted.length);
  for (const [key, state] of [
    ["queued", "QUEUED"],
    ["running", "RUNNING"],
    ["completed", "COMPLETED"],
    ["failed", "FAILED"],
    ["cancelled", "CANCELLED"],
    ["skipped", "SKIPPED"],
  ] as const) {
    expect(c[key], key).toBe(counted.filter((i) => i.status === state).length);
  }
  return batch;
}

/**
 * Drives every item's job and the batch's alarm until the batch ends (or `max` rounds),
 * calling `each` after every round (to evict, or sample).
 */
export async function driveBatch(t: string, projectId: string, batchId: string, each: () => Promise<void> = async () => {}, max = 200): Promise<Batch> {
  for (let round = 0; round < max; round++) {
    const batch = await getBatch(t, projectId, batchId);
    if (["COMPLETED", "FAILED", "CANCELLED"].includes(batch.status)) return batch;
    const items = await allItems(t, projectId, batchId, "RUNNING");
    for (const item of items) if (item.jobId) await drive(item.jobId, 3);
    await runDurableObjectAlarm(batchStub(batchId));
    await each();
  }
  throw new Error("the batch did not end");
}

export function evictBatch(batchId: string): Promise<void> {
  return evictDurableObject(batchStub(batchId));
}
