/**
 * The slow-receiver scenario of `scripts/hostile-health.mjs`, against a running `wrangler dev`
 * (started with `WEBHOOK_ALLOW_HTTP_LOCALHOST=true`):
 * - `slowReceivers`: a project whose webhooks are 19 receivers that never answer and 1
 *   healthy one, beside a project with the healthy one alone; the same small jobs run in
 *   each, and the healthy receiver's delivery latency (receipt − event time) is compared
 *   (target: p50 and p99 within 2× of the run without hanging neighbours).
 */
import { createServer } from "node:http";
import { upload } from "../lib/dev-server.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function stats(times) {
  const s = [...times].sort((a, b) => a - b);
  if (s.length === 0) return { n: 0, p50: NaN, p99: NaN, max: NaN };
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: +q(0.5).toFixed(1), p99: +q(0.99).toFixed(1), max: +s[s.length - 1].toFixed(1) };
}

/** A local receiver: `/hang/*` never answers; `/ok` answers 204 and records the latency of each frame. */
async function startReceivers() {
  const latencies = [];
  const hanging = new Set();
  const server = createServer((req, res) => {
    if (req.url.startsWith("/hang/")) {
      hanging.add(res);
      req.on("close", () => hanging.delete(res));
      return;
    }
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const frame = JSON.parse(body);
      if (frame.at) latencies.push(Date.now() - Date.parse(frame.at));
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    latencies,
    close: () => {
      for (const res of hanging) res.destroy();
      server.close();
    },
  };
}

async function createWebhook(url, adminToken, projectId, hookUrl) {
  const res = await fetch(`${url}/api/projects/${projectId}/webhooks`, {
    method: "POST",
    headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
    body: JSON.stringify({ url: hookUrl, events: ["*"] }),
  });
  if (res.status !== 201) throw new Error(`webhook create failed: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Runs `jobs` small jobs, one every `gapMs`, and waits until the healthy receiver has every frame of them (or `timeoutMs`). */
async function runJobs({ url, token, adminToken, projectId, jobs, gapMs, receivers, timeoutMs }) {
  const ids = [];
  for (let i = 0; i < jobs; i++) {
    ids.push((await upload(url, token, projectId, new TextEncoder().encode(`Document ${i}. `.repeat(50)), { filename: `d${i}.txt`, type: "text/plain" })).id);
    await sleep(gapMs);
  }
  const started = performance.now();
  let expected = Infinity;
  while (receivers.latencies.length < expected && performance.now() - started < timeoutMs) {
    await sleep(250);
    let total = 0;
    for (const id of ids) {
      const res = await fetch(`${url}/api/projects/${projectId}/ingest/jobs/${id}/events`, { headers: { Authorization: `Bearer ${adminToken}` } });
      const log = await res.json();
      const ended = log.items.some((e) => ["job.completed", "job.failed", "job.cancelled"].includes(e.type));
      total = ended && total !== Infinity ? total + log.items.length : Infinity;
    }
    expected = total;
  }
  return { events: expected, received: receivers.latencies.length };
}

/** The healthy receiver's latency with and without 19 hanging neighbours. */
export async function slowReceivers({ url, token, adminToken, jobs = 12, gapMs = 500, hanging = 19 }) {
  const out = {};
  for (const [label, hangers] of [
    ["no hanging neighbours", 0],
    [`${hanging} hanging neighbours`, hanging],
  ]) {
    const projectId = `receivers-${hangers}-${Date.now()}`;
    const receivers = await startReceivers();
    try {
      for (let i = 0; i < hangers; i++) await createWebhook(url, adminToken, projectId, `${receivers.base}/hang/${i}`);
      await createWebhook(url, adminToken, projectId, `${receivers.base}/ok`);
      const counts = await runJobs({ url, token, adminToken, projectId, jobs, gapMs, receivers, timeoutMs: 150_000 });
      out[label] = { ...stats(receivers.latencies), events: counts.events, received: counts.received };
    } finally {
      receivers.close();
    }
  }
  return out;
}
