/**
 * Two hostile scenarios for `scripts/hostile-health.mjs`, against a running `wrangler dev`
 * (started with `WEBHOOK_ALLOW_HTTP_LOCALHOST=true`):
 *
 * - `frameFlood`: viewers flood the project stream with 100-byte text frames (each
 *   reconnecting as soon as it is closed), while `/health` is sampled; the figure is
 *   `/health` p99 during the flood beside the same server idle (target: under 100 ms).
 * - `slowReceivers`: a project whose webhooks are 19 receivers that never answer and 1
 *   healthy one, beside a project with the healthy one alone; the same small jobs run in
 *   each, and the healthy receiver's delivery latency (receipt − event time) is compared
 *   (target: p50 and p99 within 2× of the run without hanging neighbours).
 */
import { createServer } from "node:http";
import { upload } from "../lib/dev-server.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** What one flooding viewer sends on one connection (the probe that stalled `/health` sent this many). */
const FRAMES_PER_SOCKET = 50_000;

export function stats(times) {
  const s = [...times].sort((a, b) => a - b);
  if (s.length === 0) return { n: 0, p50: NaN, p99: NaN, max: NaN };
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: +q(0.5).toFixed(1), p99: +q(0.99).toFixed(1), max: +s[s.length - 1].toFixed(1) };
}

/** `/health` latencies (ms) of sequential requests 20 ms apart while `running()` holds. */
async function sampleHealth(url, running) {
  const times = [];
  while (running()) {
    const t0 = performance.now();
    const res = await fetch(`${url}/health`);
    await res.arrayBuffer();
    times.push(performance.now() - t0);
    await sleep(20);
  }
  return times;
}

/**
 * `viewers` sockets on the project stream, each sending up to 50,000 100-byte frames as
 * fast as the socket drains (and, with `reconnect`, opening a new socket when closed),
 * while `/health` is sampled for `seconds`. Returns `/health` over that window, and how
 * many frames were sent and sockets opened.
 */
export async function frameFlood({ url, token, projectId, viewers = 1, seconds = 10, reconnect = false }) {
  const frame = "x".repeat(100);
  const deadline = performance.now() + seconds * 1000;
  const running = () => performance.now() < deadline;
  let sent = 0;
  let opened = 0;
  let closedByServer = 0;
  const viewer = async () => {
    for (let first = true; running() && (first || reconnect); first = false) {
      const ws = new WebSocket(`${url.replace("http", "ws")}/api/projects/${projectId}/ingest/events?access_token=${token}`);
      await new Promise((resolve) => {
        ws.addEventListener("open", () => {
          opened++;
          // Up to 50,000 frames a connection, as fast as the socket drains, while it stays open.
          let mine = 0;
          const burst = () => {
            while (ws.readyState === WebSocket.OPEN && running() && mine < FRAMES_PER_SOCKET && ws.bufferedAmount < 1 << 20) {
              ws.send(frame);
              mine++;
              sent++;
            }
            if (ws.readyState !== WebSocket.OPEN) return;
            if (running() && mine < FRAMES_PER_SOCKET) setTimeout(burst, 1);
            else ws.close(1000);
          };
          burst();
        });
        ws.addEventListener("close", (e) => {
          if (e.code === 1008) closedByServer++;
          resolve();
        });
        ws.addEventListener("error", () => resolve());
      });
    }
  };
  const [health] = await Promise.all([sampleHealth(url, running), ...Array.from({ length: viewers }, viewer)]);
  return { health: stats(health), sent, opened, closedByServer };
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
