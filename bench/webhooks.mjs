/**
 * Webhook delivery under `wrangler dev`, to a real receiver on 127.0.0.1 (answers 204 at
 * once, verifies nothing: the receiver's own cost stays out of the figures).
 *
 * - live: one subscription to every event type (`["*"]`); small text jobs are uploaded,
 *   CONCURRENCY at a time, until their events reach 1,000 (each job logs 7-8). Figures:
 *   deliveries/s (deliveries ÷ the time from the first event's commit to the last
 *   delivery's receipt), beside the rate the same jobs produced events at (events ÷ the
 *   span of their `at`s): a ratio near 1 means delivery keeps up with production.
 * - fan-out: ten subscriptions on the same receiver (paths /s0…/s9) and events until
 *   1,000 deliveries are due; the same figures. It is the burstier load: every event
 *   queues ten deliveries in one go.
 * - Latency: from the event's commit (its `at`, set by the job object as it commits the
 *   event) to the receipt of its POST (`Date.now()` when the body has arrived; same
 *   machine, same clock): p50 and p99. In the same run a project-stream WebSocket
 *   (`GET /events`) gets the same frames: its latency is the reference (job → hub hop plus
 *   fan-out), so webhook − socket is what webhooks add on top of the hub.
 * - Backlog: deliveries still to come when the last event was committed, and the rate they
 *   drained at once no job was running. Locally every object of the Worker shares one
 *   workerd thread, so the jobs' pipeline slices and the hub's sends compete for it; the
 *   drain rate is the hub's own pace.
 * - Checks: every logged event of every job arrived exactly once per subscription (by
 *   `webhook-id`), each one 2xx on its first try.
 *
 * Run: npm run bench:webhooks [-- --events 1000 --concurrency 8 --port N]
 * Writes bench/out/webhooks.json. 2 shared cores here: compare ratios, not absolutes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startReceiver } from "../scripts/lib/receiver.mjs";
import { freePort, startDev, token, upload } from "../scripts/lib/dev-server.mjs";
import { stats } from "./lib/watch.mjs";

const { values: args } = parseArgs({
  options: { events: { type: "string", default: "1000" }, concurrency: { type: "string", default: "8" }, port: { type: "string" } },
});
const EVENTS = Number(args.events);
const CONCURRENCY = Number(args.concurrency);
const VARS = { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000000", RATE_LIMIT_USER_PER_HOUR: "1000000000", WEBHOOK_ALLOW_HTTP_LOCALHOST: "true" };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);

const persistTo = mkdtempSync(join(tmpdir(), "bench-webhooks-"));
const receiver = await startReceiver({ answer: () => 204 });
const dev = await startDev({ port: args.port ? Number(args.port) : await freePort(), persistTo, vars: VARS });
const out = { events: EVENTS, concurrency: CONCURRENCY, loadAverageAtStart: loadavg(), scenarios: {} };

try {
  out.scenarios.live = await scenario("bench_wh_live", 1, EVENTS);
  out.scenarios.fanout = await scenario("bench_wh_fanout", 10, Math.ceil(EVENTS / 10));
} finally {
  await dev.stop();
  await receiver.close();
  rmSync(persistTo, { recursive: true, force: true });
}

out.loadAverageAtEnd = loadavg();
console.log("");
console.log(
  `machine: ${navigator.hardwareConcurrency} cores; load average (1 min) ${out.loadAverageAtStart[0].toFixed(1)} at the start, ${out.loadAverageAtEnd[0].toFixed(1)} at the end`,
);
console.log(
  "| scenario | subscriptions | events | deliveries | events/s produced | deliveries/s | ratio | backlog at last event | drain/s after it | webhook p50 / p99 (ms) | socket p50 / p99 (ms) | added p50 / p99 (ms) |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |");
for (const [name, s] of Object.entries(out.scenarios)) {
  console.log(
    `| ${name} | ${s.subscriptions} | ${s.events} | ${s.deliveries} | ${s.eventsPerSecond.toFixed(0)} | ${s.deliveriesPerSecond.toFixed(0)} | ${(s.deliveriesPerSecond / s.eventsPerSecond / s.subscriptions).toFixed(2)} | ${s.backlogAtLastEvent} | ${s.drainPerSecond.toFixed(0)} | ${s.webhook.p50} / ${s.webhook.p99} | ${s.socket.p50} / ${s.socket.p99} | ${s.webhook.p50 - s.socket.p50} / ${s.webhook.p99 - s.socket.p99} |`,
  );
}
const ok = Object.values(out.scenarios).every((s) => s.checks.every((c) => c.ok));
for (const [name, s] of Object.entries(out.scenarios)) for (const c of s.checks) console.log(`${c.ok ? "ok  " : "FAIL"} ${name}: ${c.name}: ${c.detail}`);
mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
writeFileSync(new URL("./out/webhooks.json", import.meta.url), JSON.stringify(out, null, 2));
process.exit(ok ? 0 : 1);

/** Runs jobs in `project` with `subs` subscriptions until `events` events are logged; measures. */
async function scenario(project, subs, events) {
  const t = await token({ sub: "bench", roles: ["admin"], projects: [project] });
  const api = async (path, init = {}) => {
    const res = await fetch(`${dev.url}/api/projects/${project}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${t}`, "Content-Type": "application/json" },
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const hooks = [];
  for (let i = 0; i < subs; i++)
    hooks.push(await api("/webhooks", { method: "POST", body: JSON.stringify({ url: `${receiver.url}/${project}/s${i}`, events: ["*"] }) }));
  const socket = await projectSocket(project, t);
  const firstReceived = receiver.received.length;

  log(`${project}: ${subs} subscription(s); uploading jobs until ${events} events`);
  const jobs = [];
  let logged = 0;
  const lane = async () => {
    while (logged < events) {
      const job = await upload(dev.url, t, project, `Document ${jobs.length}: a few words for a webhook benchmark.`, {
        filename: `d${jobs.length}.txt`,
        type: "text/plain",
      });
      jobs.push(job.id);
      logged += 8; // estimate to stop uploading; the real count is read below
      await waitCompleted(socket, job.id);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  const logs = await Promise.all(jobs.map((id) => api(`/ingest/jobs/${id}/events`)));
  const frames = logs.flatMap((l) => l.items);
  const expected = frames.length * subs;
  const deadline = Date.now() + 120_000;
  while (receiver.received.length - firstReceived < expected && Date.now() < deadline) await sleep(50);
  await sleep(300); // anything extra (a duplicate) would arrive now
  const mine = receiver.received.slice(firstReceived).filter((r) => r.path.startsWith(`/${project}/`));
  socket.ws.close();

  const at = new Map(frames.map((f) => [`${f.jobId}#${f.seq}`, Date.parse(f.at)]));
  const webhookLatency = [];
  const ids = new Set();
  let firstTry = 0;
  for (const r of mine) {
    const f = JSON.parse(r.body);
    webhookLatency.push(r.at - at.get(`${f.jobId}#${f.seq}`));
    ids.add(r.headers["webhook-id"]);
    if (r.answer === 204) firstTry++;
  }
  const socketLatency = socket.frames.filter((f) => at.has(`${f.jobId}#${f.seq}`)).map((f) => f.receivedAt - at.get(`${f.jobId}#${f.seq}`));
  const ats = [...at.values()];
  const firstAt = Math.min(...ats);
  const lastAt = Math.max(...ats);
  const lastReceipt = Math.max(...mine.map((r) => r.at));
  const perSub = hooks.map((_, i) => mine.filter((r) => r.path === `/${project}/s${i}`).map((r) => JSON.parse(r.body)));
  const everyEventOnce = perSub.every((list) => {
    const keys = list.map((f) => `${f.jobId}#${f.seq}`);
    return keys.length === frames.length && new Set(keys).size === frames.length && keys.every((k) => at.has(k));
  });
  const attempts = [];
  for (const h of hooks) {
    let cursor = null;
    do {
      const page = await api(`/webhooks/${h.id}/deliveries?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      attempts.push(
        ...page.items.map((d) => ({ id: d.id, attempts: d.attempts, lastError: d.lastError, status: d.status, createdAt: Date.parse(d.createdAt) })),
      );
      cursor = page.nextCursor;
    } while (cursor);
  }
  const queuedAt = new Map(attempts.map((d) => [d.id, d.createdAt]));
  const toQueue = [];
  const fromQueue = [];
  for (const r of mine) {
    const f = JSON.parse(r.body);
    const q = queuedAt.get(r.headers["webhook-id"]);
    toQueue.push(q - at.get(`${f.jobId}#${f.seq}`));
    fromQueue.push(r.at - q);
  }
  const retried = attempts.filter((d) => d.attempts !== 1 || d.status !== "succeeded");
  const result = {
    subscriptions: subs,
    jobs: jobs.length,
    events: frames.length,
    deliveries: mine.length,
    eventsPerSecond: frames.length / ((lastAt - firstAt) / 1000),
    deliveriesPerSecond: mine.length / ((lastReceipt - firstAt) / 1000),
    /** The backlog left when the last event was committed, and how fast it drained with no job running. */
    backlogAtLastEvent: mine.filter((r) => r.at > lastAt).length,
    drainPerSecond: mine.filter((r) => r.at > lastAt).length / (Math.max(1, lastReceipt - lastAt) / 1000),
    webhook: stats(webhookLatency),
    socket: stats(socketLatency),
    /** Commit → the hub queues the delivery (the job → hub hop), and queued → received (the hub's alarm and the POST). */
    commitToQueued: stats(toQueue),
    queuedToReceived: stats(fromQueue),
    checks: [
      {
        name: "every logged event delivered exactly once per subscription",
        ok: everyEventOnce,
        detail: `${mine.length} deliveries for ${frames.length} events × ${subs}`,
      },
      { name: "distinct webhook-ids", ok: ids.size === mine.length, detail: `${ids.size}` },
      { name: "2xx on the first try", ok: firstTry === mine.length, detail: `${firstTry}/${mine.length}` },
      {
        name: "log: every delivery succeeded on its first attempt",
        ok: retried.length === 0 && attempts.length === mine.length,
        detail: retried.length ? `${retried.length} retried, e.g. ${JSON.stringify(retried[0])}` : `${attempts.length} logged`,
      },
    ],
  };
  log(
    `${project}: ${result.deliveries} deliveries, ${result.deliveriesPerSecond.toFixed(0)}/s; webhook p50 ${result.webhook.p50} ms p99 ${result.webhook.p99} ms` +
      ` (commit→queued p50 ${result.commitToQueued.p50}, queued→received p50 ${result.queuedToReceived.p50}); socket p50 ${result.socket.p50} ms`,
  );
  return result;
}

/** A project-stream watcher: frames with their receipt time, and a way to wait for a job's end. */
async function projectSocket(project, t) {
  const ws = new WebSocket(`${dev.url.replace("http", "ws")}/api/projects/${project}/ingest/events?access_token=${t}`);
  const frames = [];
  const waiters = new Map();
  ws.addEventListener("message", (e) => {
    const f = JSON.parse(e.data);
    f.receivedAt = Date.now();
    frames.push(f);
    if (f.type === "job.completed" || f.type === "job.failed") waiters.get(f.jobId)?.();
  });
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", reject, { once: true });
  });
  return {
    ws,
    frames,
    waitCompletedOf: (jobId) =>
      frames.some((f) => f.jobId === jobId && (f.type === "job.completed" || f.type === "job.failed"))
        ? Promise.resolve()
        : new Promise((resolve) => waiters.set(jobId, resolve)),
  };
}

function waitCompleted(socket, jobId) {
  return Promise.race([socket.waitCompletedOf(jobId), sleep(120_000).then(() => Promise.reject(new Error(`job ${jobId} did not finish`)))]);
}
