/**
 * Small client helpers for the benchmarks and scripts, on top of scripts/lib/dev-server.mjs: wait for a
 * job over its WebSocket, read a document and all its chunks, sample workerd memory.
 */
import { rssBytes } from "../../scripts/lib/dev-server.mjs";

const FINAL = ["COMPLETED", "FAILED", "CANCELLED"];

/**
 * Opens the job's event socket (token as ?access_token=, since Node's WebSocket cannot
 * set headers) and resolves with the job from the first frame that shows it finished
 * (the snapshot, if it already had, or job.completed / job.failed / job.cancelled).
 */
export function waitForJobSocket(url, t, projectId, jobId, timeoutMs = 900_000) {
  const wsUrl = `${url.replace(/^http/, "ws")}/api/projects/${projectId}/ingest/jobs/${jobId}/events?access_token=${encodeURIComponent(t)}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    const timer = setTimeout(() => finish(new Error(`job ${jobId} not finished after ${timeoutMs} ms`)), timeoutMs);
    let done = false;
    const finish = (err, job) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        ws.close();
      } catch {
        // already closed
      }
      if (err) reject(err);
      else resolve(job);
    };
    ws.onmessage = (ev) => {
      const frame = JSON.parse(String(ev.data));
      if (frame.job && FINAL.includes(frame.job.status)) finish(null, frame.job);
    };
    ws.onerror = () => finish(new Error(`event socket for job ${jobId} failed`));
    ws.onclose = (ev) => finish(new Error(`event socket for job ${jobId} closed (${ev.code} ${ev.reason})`));
  });
}

/** GET a JSON API path with the bearer token; throws on a non-2xx status. */
export async function getJson(url, t, path) {
  const res = await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${t}` } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Every chunk of a document, following nextCursor with limit=100. */
export async function allChunks(url, t, projectId, documentId) {
  const items = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ limit: "100", ...(cursor ? { cursor } : {}) });
    const page = await getJson(url, t, `/api/projects/${projectId}/documents/${documentId}/chunks?${q}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** Sum of VmRSS over `pids`. */
export function totalRss(pids) {
  return pids.reduce((sum, pid) => sum + rssBytes(pid), 0);
}

/** Samples totalRss(pids) every `everyMs`; stop() returns { peak, samples }. */
export function sampleRss(pids, everyMs = 50) {
  let peak = totalRss(pids);
  let samples = 1;
  const timer = setInterval(() => {
    peak = Math.max(peak, totalRss(pids));
    samples += 1;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, totalRss(pids));
      return { peak, samples: samples + 1 };
    },
  };
}

/** Milliseconds spent in each stage, from a job's stored event log (events carry `at`). */
export function stageTimes(events) {
  const out = {};
  let prev = null;
  for (const e of events) {
    if (prev && (e.type === "job.stage" || e.type === "job.completed" || e.type === "job.started")) {
      out[prev.job.stage] = (out[prev.job.stage] ?? 0) + (Date.parse(e.at) - Date.parse(prev.at));
    }
    if (e.type === "job.stage" || e.type === "job.started" || e.type === "job.created") prev = e;
  }
  return out;
}
