/**
 * Helpers for bench/watchers.mjs: a deterministic Markdown source, WebSocket watchers
 * that timestamp every frame on receipt, percentiles, and a "harness floor" server (a
 * minimal WebSocket broadcaster in a worker thread, no workerd) that shows how much of a
 * measured latency the client and the machine add on their own.
 */
import { Worker } from "node:worker_threads";

/** Deterministic Markdown of exactly `bytes` bytes: headings, paragraphs, lists. */
export function markdown(bytes) {
  const words = (
    "ingest edge worker durable object alarm slice chunk index stream socket watcher event " +
    "project token latency commit progress stage extract document canonical text hash queue"
  ).split(" ");
  let seed = 42;
  const rand = (n) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  const parts = [];
  let size = 0;
  for (let section = 1; size < bytes; section++) {
    let s = `## Section ${section}\n\n`;
    for (let p = 0; p < 4; p++) {
      const line = Array.from({ length: 40 + rand(80) }, () => words[rand(words.length)]).join(" ");
      s += p === 3 ? `- ${line.slice(0, 80)}\n- ${line.slice(80, 160)}\n\n` : `${line}.\n\n`;
    }
    parts.push(s);
    size += s.length;
  }
  return Buffer.from(parts.join("")).subarray(0, bytes);
}

/**
 * Opens one watcher. Every frame is kept as [Date.now() at receipt, raw data] and parsed
 * later, so the handler stays cheap. Resolves on the first frame (`waitForFrame`) or on
 * open; never rejects (`failed` says why it did not connect).
 */
function openWatcher(url, waitForFrame) {
  const w = { frames: [], closed: null, failed: null };
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    w.ws = ws;
    const done = (failed = null) => {
      clearTimeout(timer);
      if (failed && !w.failed) w.failed = failed;
      resolve(w);
    };
    const timer = setTimeout(() => done("timeout"), 60_000);
    ws.onopen = () => !waitForFrame && done();
    ws.onmessage = (m) => {
      w.frames.push([Date.now(), m.data]);
      if (waitForFrame && w.frames.length === 1) done();
    };
    ws.onerror = () => done("error");
    ws.onclose = (e) => (w.closed = w.closed ?? { code: e.code, at: Date.now() });
  });
}

/** Opens `n` watchers in parallel batches of `batch`. */
export async function openWatchers(url, n, { waitForFrame = false, batch = 100 } = {}) {
  const all = [];
  for (let i = 0; i < n; i += batch) {
    const size = Math.min(batch, n - i);
    all.push(...(await Promise.all(Array.from({ length: size }, () => openWatcher(url, waitForFrame)))));
  }
  return all;
}

/** Nearest-rank percentiles of `values` (ms). */
export function stats(values) {
  const s = Float64Array.from(values).sort();
  const pct = (p) => (s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : null);
  return { n: s.length, p50: pct(50), p99: pct(99), max: s.length ? s[s.length - 1] : null };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The floor server: RFC 6455 handshake, then one event-shaped text frame to every client every `intervalMs`. */
const FLOOR_SERVER = `
const { createServer } = require("node:http");
const { createHash } = require("node:crypto");
const { parentPort, workerData } = require("node:worker_threads");
const sockets = new Set();
const server = createServer((_, res) => res.end());
server.on("upgrade", (req, socket) => {
  const accept = createHash("sha1").update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  socket.write("HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: " + accept + "\\r\\n\\r\\n");
  socket.setNoDelay(true);
  socket.on("error", () => sockets.delete(socket));
  socket.on("close", () => sockets.delete(socket));
  socket.on("data", () => {});
  sockets.add(socket);
});
parentPort.on("message", (m) => {
  if (m === "stop") return server.close(), process.exit(0);
  let seq = 0;
  const timer = setInterval(() => {
    seq += 1;
    const body = Buffer.from(JSON.stringify({ type: "job.progress", seq, jobId: "00000000-0000-7000-8000-000000000000",
      projectId: "floor", at: new Date().toISOString(), job: { id: "00000000-0000-7000-8000-000000000000", status: "RUNNING",
      stage: "CHUNKING", progress: seq / workerData.frames, counters: { bytesRead: 41943040, pagesExtracted: 0,
      charactersExtracted: 41943040, chunksCreated: 12345, chunksIndexed: 0, duplicatesFound: 0 } } }));
    const frame = Buffer.concat([Buffer.from([0x81, 126, body.length >> 8, body.length & 255]), body]);
    for (const s of sockets) s.write(frame);
    if (seq === workerData.frames) clearInterval(timer), parentPort.postMessage("sent");
  }, workerData.intervalMs);
});
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
`;

/**
 * `n` watchers of the same client code on the floor server, `frames` frames 250 ms apart:
 * receipt − `at` latencies, as for the service (same ms-resolution ISO `at`).
 */
export async function harnessFloor(n, frames = 20) {
  const worker = new Worker(FLOOR_SERVER, { eval: true, workerData: { frames, intervalMs: 250 } });
  const next = () => new Promise((resolve) => worker.once("message", resolve));
  try {
    const port = await next();
    const watchers = await openWatchers(`ws://127.0.0.1:${port}/`, n);
    worker.postMessage("go");
    await next();
    await new Promise((r) => setTimeout(r, 500));
    for (const w of watchers) w.ws.close();
    const lat = watchers.flatMap((w) => w.frames.map(([recv, d]) => recv - Date.parse(JSON.parse(d).at)));
    return { watchers: n, ...stats(lat), open: watchers.filter((w) => !w.failed).length };
  } finally {
    worker.postMessage("stop");
  }
}

/** One raw upgrade request: the status and body a refused upgrade got (the WebSocket API hides them). */
export async function probeUpgrade(wsUrl) {
  const { request } = await import("node:http");
  const url = new URL(wsUrl.replace(/^ws/, "http"));
  const headers = { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==" };
  return new Promise((resolve) => {
    const req = request(url, { headers });
    req.on("upgrade", (res, socket) => (socket.destroy(), resolve(`${res.statusCode} (upgrade accepted)`)));
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(`${res.statusCode} ${body.slice(0, 200)}`));
    });
    req.on("error", (err) => resolve(`request error: ${err.message}`));
    req.end();
  });
}
