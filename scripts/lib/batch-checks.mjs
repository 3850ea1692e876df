/**
 * Reading a batch back over the API and checking what every batch must satisfy after a
 * crash (docs/batches.md): it ended, every item ended, no item or job twice, and counts
 * that add up and equal the items listed. Shared by the crash scenarios.
 */
import { getJson } from "../../bench/lib/jobs.mjs";

export const TERMINAL = ["COMPLETED", "FAILED", "CANCELLED"];
const ITEM_ENDS = ["COMPLETED", "FAILED", "CANCELLED", "SKIPPED"];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const batchPath = (project, id = "") => `/api/projects/${project}/ingest/batches${id ? `/${id}` : ""}`;

/** Creates a batch; returns it. */
export async function createBatch(url, t, project, body) {
  const res = await fetch(`${url}${batchPath(project)}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${t}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`batch create failed: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Every item of a batch, following `nextCursor`. */
export async function batchItems(url, t, project, batchId) {
  const items = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ limit: "100", ...(cursor ? { cursor } : {}) });
    const page = await getJson(url, t, `${batchPath(project, batchId)}/items?${q}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** Every job listed with `batchId` (the D1 index), following `nextCursor`. */
export async function batchJobs(url, t, project, batchId) {
  const jobs = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ limit: "100", batchId, ...(cursor ? { cursor } : {}) });
    const page = await getJson(url, t, `/api/projects/${project}/ingest/jobs?${q}`);
    jobs.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return jobs;
}

/** Polls the batch until it has ended; returns it (or the last one seen after `timeoutMs`). */
export async function waitForBatch(url, t, project, batchId, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await getJson(url, t, batchPath(project, batchId)).catch(() => null);
    if (batch && TERMINAL.includes(batch.status)) return batch;
    if (Date.now() > deadline) return batch;
    await sleep(250);
  }
}

/**
 * The jobs listed under the batch once the index has caught up with the items that have
 * jobs (index rows land just after their objects' commits): at most `timeoutMs`.
 */
export async function settledJobs(url, t, project, batchId, expected, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await batchJobs(url, t, project, batchId);
    const settled = jobs.length >= expected && jobs.every((j) => TERMINAL.includes(j.status));
    if (settled || Date.now() > deadline) return jobs;
    await sleep(500);
  }
}

/** Values that occur more than once. */
export function repeated(values) {
  const seen = new Set();
  const twice = new Set();
  for (const v of values) (seen.has(v) ? twice : seen).add(v);
  return [...twice];
}

/**
 * The checks every batch passes after a crash; `check(name, ok, detail)` records each.
 * `jobs`: the index's jobs of the batch. Returns the counts of the items by state.
 */
export function checkBatch(check, label, batch, items, jobs) {
  check(`${label}: batch ended`, TERMINAL.includes(batch?.status), `${batch?.status}`);
  const unfinished = items.filter((i) => !ITEM_ENDS.includes(i.status));
  check(`${label}: every item ended`, unfinished.length === 0, `${items.length - unfinished.length} of ${items.length} ended`);
  const ids = repeated(items.map((i) => i.id));
  check(`${label}: no item twice`, ids.length === 0, ids.length ? `repeated ids ${ids.join(", ")}` : `${items.length} distinct item ids`);
  const withJob = items.filter((i) => i.jobId);
  const jobIds = repeated(jobs.map((j) => j.id));
  const orphans = jobs.filter((j) => !withJob.some((i) => i.jobId === j.id));
  check(
    `${label}: one job per item with a job, none twice`,
    jobIds.length === 0 && orphans.length === 0 && jobs.length === withJob.length,
    `${jobs.length} jobs listed for ${withJob.length} items with a job; ${jobIds.length} repeated, ${orphans.length} not an item`,
  );
  const c = batch?.counts ?? {};
  const sum = c.queued + c.running + c.completed + c.failed + c.cancelled + c.skipped;
  check(`${label}: counts add up`, c.total === sum, `total ${c.total} = ${c.queued}+${c.running}+${c.completed}+${c.failed}+${c.cancelled}+${c.skipped}`);
  const byState = Object.fromEntries(["QUEUED", "RUNNING", ...ITEM_ENDS].map((s) => [s, items.filter((i) => i.status === s).length]));
  const equal =
    c.total === items.length &&
    c.queued === byState.QUEUED &&
    c.running === byState.RUNNING &&
    c.completed === byState.COMPLETED &&
    c.failed === byState.FAILED &&
    c.cancelled === byState.CANCELLED &&
    c.skipped === byState.SKIPPED;
  check(`${label}: counts equal the items listed`, equal, `counts ${JSON.stringify(c)}; items ${JSON.stringify(byState)}`);
  return byState;
}
