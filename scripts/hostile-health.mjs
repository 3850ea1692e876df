/**
 * Hostile inputs against a real `wrangler dev`: how long `/health` takes to
 * answer while bomb jobs run, against the same server idle, and how each bomb ends.
 *
 *  1. starts `wrangler dev` (own --persist-to dir, real alarms) and measures `/health`
 *     idle: sequential requests, 20 ms apart, p50/p99/max;
 *  2. submits, at once: a page-tree bomb (1.8 KB, /Count 10⁹), a Flate bomb (10 pages
 *     sharing one stream that inflates to 100 MB), a heavy but allowed PDF (10 pages
 *     sharing a 3 MiB stream: one page per slice, each within SLICE_DECODED_BYTES),
 *     a heading flood (5 MB of "# h" lines), and opens a job watcher whose token expires
 *     in the year 9999;
 *  3. measures `/health` the same way until every job is terminal, then prints the
 *     figures, each job's outcome and time to a terminal state, and PASS/FAIL for the
 *     expected outcomes;
 *  4. a frame flood: a viewer sends 100-byte text frames on the project stream as fast as
 *     the socket drains, from its own process; `/health` meanwhile, beside the same flood
 *     against a floor Worker under `wrangler dev` and under bare `workerd`
 *     (scripts/hostile/frame-flood.mjs);
 *  5. slow receivers: the same small jobs in a project whose only webhook is healthy, and
 *     in one where 19 more never answer; the healthy receiver's delivery latency p50/p99
 *     in both (target: within 2x).
 * Exits 1 on FAIL.
 *
 *   npm run hostile-health [-- --port 8951] [-- --only "heading flood"] [-- --scenario bombs,frames,receivers] [-- --quick]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { SECRET, startDev, token, upload } from "./lib/dev-server.mjs";
import { loadPipeline } from "../bench/lib/floor.mjs";
import { frameFloodScenario } from "./hostile/frame-flood.mjs";
import { slowReceivers } from "./hostile/sockets-and-receivers.mjs";

const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: "8951" },
    only: { type: "string", default: "" },
    scenario: { type: "string", default: "bombs,frames,receivers" },
    quick: { type: "boolean", default: false },
  },
});
const scenarios = new Set(args.scenario.split(","));
const PROJECT = "hostile";
const VARS = { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_HOUR: "1000000", WEBHOOK_ALLOW_HTTP_LOCALHOST: "true" };
const MiB = 1 << 20;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);

const P = await loadPipeline();
const persistTo = mkdtempSync(join(tmpdir(), "hostile-health-"));
let dev = null;
let failed = false;

/** `/health` latencies (ms) of sequential requests 20 ms apart, until `until()` is true (or `count` requests). */
async function sampleHealth(url, { count = Infinity, until = () => false }) {
  const times = [];
  while (times.length < count && !until()) {
    const t0 = performance.now();
    const res = await fetch(`${url}/health`);
    await res.arrayBuffer();
    times.push(performance.now() - t0);
    await sleep(20);
  }
  return times;
}

function stats(times) {
  const s = [...times].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { requests: s.length, p50: +q(0.5).toFixed(1), p99: +q(0.99).toFixed(1), max: +s[s.length - 1].toFixed(1) };
}

try {
  dev = await startDev({ port: Number(args.port), persistTo, vars: VARS });
  const t = await token({ sub: "hostile", roles: ["editor"], projects: [PROJECT] });
  log(`wrangler dev up on ${dev.url}`);
  await sampleHealth(dev.url, { count: 20 }); // warm-up
  const idle = stats(await sampleHealth(dev.url, { count: 200 }));
  log(`idle /health: ${JSON.stringify(idle)}`);

  if (scenarios.has("bombs")) {
    const all = [
      { name: "page-tree bomb (/Count 10^9)", bytes: P.pageTreeBomb(9, 10), type: "application/pdf", file: "tree.pdf", expect: "FAILED LIMIT_EXCEEDED" },
      {
        name: "Flate bomb (10 pages x 100 MB)",
        bytes: await P.sharedStreamPdf(10, 100_000_000),
        type: "application/pdf",
        file: "flate.pdf",
        expect: "FAILED LIMIT_EXCEEDED",
      },
      { name: "heavy PDF (10 pages x 3 MiB)", bytes: await P.sharedStreamPdf(10, 3 * MiB), type: "application/pdf", file: "heavy.pdf", expect: "COMPLETED" },
      {
        name: "heading flood (5 MB)",
        bytes: new TextEncoder().encode("# h\n".repeat((5 * MiB) / 4)),
        type: "text/markdown",
        file: "flood.md",
        expect: "COMPLETED",
      },
    ];
    const bombs = all.filter((b) => b.name.includes(args.only));
    const started = performance.now();
    const jobs = await Promise.all(bombs.map(async (b) => ({ ...b, job: await upload(dev.url, t, PROJECT, b.bytes, { filename: b.file, type: b.type }) })));
    log(`submitted ${jobs.map((j) => `${j.name} (${j.bytes.length} B)`).join(", ")}`);

    // A watcher whose token claims to expire in 9999: accepted, and the job keeps working.
    const farFuture = await new SignJWT({ roles: ["viewer"], projects: [PROJECT] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("far-future")
      .setIssuedAt()
      .setExpirationTime(253_402_300_799)
      .sign(new TextEncoder().encode(SECRET));
    const ws = new WebSocket(`${dev.url.replace("http", "ws")}/api/projects/${PROJECT}/ingest/jobs/${jobs.at(-1).job.id}/events?access_token=${farFuture}`);
    const watcher = await new Promise((resolve) => {
      ws.addEventListener("message", (e) => resolve(String(e.data).includes("job.snapshot") ? "snapshot received" : "unexpected frame"), { once: true });
      ws.addEventListener("error", () => resolve("upgrade refused"), { once: true });
      setTimeout(() => resolve("no frame in 10 s"), 10_000);
    });

    const done = new Map();
    const poller = (async () => {
      while (done.size < jobs.length) {
        for (const j of jobs) {
          if (done.has(j.job.id)) continue;
          const res = await fetch(`${dev.url}/api/projects/${PROJECT}/ingest/jobs/${j.job.id}`, { headers: { Authorization: `Bearer ${t}` } });
          const job = await res.json();
          if (["COMPLETED", "FAILED", "CANCELLED"].includes(job.status)) done.set(j.job.id, { job, ms: performance.now() - started });
        }
        await sleep(100);
        if (performance.now() - started > 600_000) throw new Error("jobs still running after 10 minutes");
      }
    })();
    const busy = stats(await sampleHealth(dev.url, { until: () => done.size === jobs.length }));
    await poller;
    ws.close();
    log(`/health while the bombs ran: ${JSON.stringify(busy)}`);

    console.log("\n/health latency (ms), sequential requests 20 ms apart");
    console.table({
      idle,
      "bombs running": busy,
      "ratio (busy/idle)": {
        requests: "",
        p50: +(busy.p50 / idle.p50).toFixed(1),
        p99: +(busy.p99 / idle.p99).toFixed(1),
        max: +(busy.max / idle.max).toFixed(1),
      },
    });
    const rows = jobs.map((j) => {
      const { job, ms } = done.get(j.job.id);
      const outcome = job.status === "FAILED" ? `FAILED ${job.errors.at(-1)?.code}` : job.status;
      const ok = outcome === j.expect;
      failed ||= !ok;
      return {
        input: j.name,
        bytes: j.bytes.length,
        outcome,
        errorMessage: job.errorMessage ?? "",
        "s to terminal": +(ms / 1000).toFixed(1),
        expected: ok ? "yes" : `NO (want ${j.expect})`,
      };
    });
    console.table(rows);
    console.log(`far-future-exp watcher: ${watcher}`);
    failed ||= watcher !== "snapshot received";
  }

  if (scenarios.has("frames")) {
    const viewer = await token({ sub: "flooder", roles: ["viewer"], projects: [PROJECT] });
    const rows = await frameFloodScenario({ dev, token: viewer, projectId: PROJECT, frames: 50_000 });
    const service = rows["service (wrangler dev)"];
    const floor = rows["floor (wrangler dev)"];
    const bare = rows["floor (bare workerd)"];
    console.log(
      "\nframe flood: 1 viewer, up to 50,000 100-byte frames (stops at the server's close); /health from another process, 20 ms apart, while the connection lasts",
    );
    console.table(
      Object.fromEntries(
        Object.entries(rows).map(([target, r]) => [
          target,
          {
            "frames sent": r.sent,
            "close after (ms)": r.closeFrame?.ms ?? "never",
            "connection ended (ms)": r.endedMs,
            "runtime CPU/frame (us)": r.runtimeCpuUsPerFrame,
            "/health idle p99": r.idle.p99,
            "/health p50": r.health.p50,
            "/health p99": r.health.p99,
            "/health max": r.health.max,
          },
        ]),
      ),
    );
    const closedAtOnce = service.code === 1008 && service.closeFrame !== null && service.sent === service.closeFrame.sent;
    const ratio = { ended: +(service.endedMs / floor.endedMs).toFixed(1), p99: +(service.health.p99 / floor.health.p99).toFixed(1) };
    const ok = closedAtOnce && ratio.ended <= 2 && ratio.p99 <= 2;
    failed ||= !ok;
    console.log(`service closed the socket (1008) before the client sent more: ${closedAtOnce ? "yes" : "NO"}`);
    console.log(`service / floor under wrangler dev: connection ${ratio.ended}x, /health p99 ${ratio.p99}x (within 2x: ${ok ? "yes" : "NO"})`);
    console.log(
      `/health p99 under 100 ms: service ${service.health.p99 < 100 ? "yes" : "NO"}; floor under bare workerd ${bare.health.p99 < 100 ? "yes" : "NO"}`,
    );
  }

  if (scenarios.has("receivers")) {
    const admin = await token({ sub: "hostile-admin", roles: ["admin"], projects: [] });
    const runs = await slowReceivers({ url: dev.url, token: admin, adminToken: admin, jobs: args.quick ? 6 : 12 });
    const [base, hostile] = Object.values(runs);
    const ratio = { p50: +(hostile.p50 / base.p50).toFixed(1), p99: +(hostile.p99 / base.p99).toFixed(1) };
    const ok = hostile.received === hostile.events && ratio.p50 <= 2 && ratio.p99 <= 2;
    failed ||= !ok;
    console.log("\nhealthy webhook receiver: delivery latency (ms, receipt - event time)");
    console.table({ ...runs, "ratio (hanging/none)": { ...ratio } });
    console.log(`every event delivered and p50/p99 within 2x: ${ok ? "yes" : "NO"}`);
  }
  console.log(failed ? "FAIL" : "PASS");
} catch (err) {
  console.error(err);
  failed = true;
} finally {
  await dev?.stop();
  rmSync(persistTo, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
