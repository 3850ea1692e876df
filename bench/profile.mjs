/**
 * Where the Worker's CPU goes: starts `wrangler dev` with the runtime's inspector, runs a
 * warm-up job, then records a CPU profile (CDP `Profiler`) across one workload and prints
 * the functions with the most self time:
 *   - `--workload job` (default): the upload and the whole job of one Markdown file of
 *     `--mb` MB, with the stages' wall time from the job's event log;
 *   - `--workload create`: `--n` 1 KB raw creates, 8 at a time (ALARM_DELAY_MS = 1 day,
 *     so no pipeline work runs), with creates per second;
 *   - `--workload get`: `--n` GETs of one job, 8 at a time, then as many `/health`, with
 *     requests per second of each;
 *   - `--workload watch`: `--n` WebSocket watchers of one queued job, opened 100 at a
 *     time, each until its snapshot frame, with sockets per second;
 *   - `--workload fanout`: `--n` watchers of the project stream, then 20 creates, one at
 *     a time (each a `job.created` frame to every watcher), with the time until every
 *     watcher has all 20 frames.
 *
 *   npm run bench:profile -- [--workload job|create|get|watch|fanout] [--mb 10] [--n 200] [--top 30]
 *
 * Writes bench/out/<workload>.cpuprofile (open it in Chrome DevTools → Performance).
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, startDev, token, upload } from "../scripts/lib/dev-server.mjs";
import { markdown } from "./lib/corpus.mjs";
import { getJson, stageTimes, waitForJobSocket } from "./lib/jobs.mjs";
import { connectInspector } from "./lib/heap.mjs";
import { openWatchers } from "./lib/watch.mjs";

const { values: args } = parseArgs({
  options: {
    workload: { type: "string", default: "job" },
    mb: { type: "string", default: "10" },
    n: { type: "string", default: "200" },
    top: { type: "string", default: "30" },
    port: { type: "string" },
    "inspector-port": { type: "string" },
  },
});
const WORKLOADS = ["job", "create", "get", "watch", "fanout"];
if (!WORKLOADS.includes(args.workload)) throw new Error(`--workload must be one of ${WORKLOADS.join(", ")}`);
const PROJECT = "bench-profile";
// Every workload but `job` keeps its jobs QUEUED: no pipeline work in the profile.
const queued = ["create", "get", "watch", "fanout"].includes(args.workload);
const bytes = queued ? null : markdown(Number(args.mb) * (1 << 20));
const persistTo = mkdtempSync(join(tmpdir(), "bench-profile-"));
const inspectorPort = Number(args["inspector-port"] ?? (await freePort()));
const dev = await startDev({
  port: Number(args.port ?? (await freePort())),
  persistTo,
  inspectorPort,
  vars: {
    RATE_LIMIT_PROJECT_PER_MINUTE: "1000000",
    RATE_LIMIT_USER_PER_HOUR: "1000000",
    MAX_DOCUMENT_CHARS: "200000000",
    ...(queued ? { ALARM_DELAY_MS: "86400000" } : {}),
  },
});
let inspector = null;
try {
  inspector = await connectInspector(inspectorPort);
  const t = await token({ sub: "bench", roles: ["admin"], projects: [PROJECT] });
  const warm = await upload(dev.url, t, PROJECT, markdown(256 * 1024, 9), { filename: "warm-up.md", type: "text/markdown" });
  if (!queued) await waitForJobSocket(dev.url, t, PROJECT, warm.id);
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: 200 });
  if (args.workload !== "fanout") await inspector.send("Profiler.start");
  if (args.workload === "fanout") {
    const n = Number(args.n);
    const url = `${dev.url.replace(/^http/, "ws")}/api/projects/${PROJECT}/ingest/events?access_token=${t}`;
    const watchers = await openWatchers(url, n, { waitForFrame: true });
    const kb = new TextEncoder().encode("x".repeat(1000));
    const frames = () => Math.min(...watchers.map((w) => w.frames.filter(([, d]) => String(d).includes('"job.created"')).length));
    await inspector.send("Profiler.start");
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) await upload(dev.url, t, PROJECT, kb, { filename: `f${i}.txt`, type: "text/plain" });
    while (frames() < 20) await new Promise((r) => setTimeout(r, 5));
    const ms = performance.now() - t0;
    const { profile } = await inspector.send("Profiler.stop");
    save(profile);
    for (const w of watchers) w.ws.close();
    report(profile, `20 creates with ${n} project watchers: ${ms.toFixed(0)} ms until every watcher had all 20 job.created frames`);
  } else if (args.workload === "watch") {
    const n = Number(args.n);
    const url = `${dev.url.replace(/^http/, "ws")}/api/projects/${PROJECT}/ingest/jobs/${warm.id}/events?access_token=${t}`;
    const t0 = performance.now();
    const watchers = await openWatchers(url, n, { waitForFrame: true });
    const ms = performance.now() - t0;
    const { profile } = await inspector.send("Profiler.stop");
    save(profile);
    const failed = watchers.filter((w) => w.failed).length;
    for (const w of watchers) w.ws.close();
    report(
      profile,
      `${n} watchers of one job, 100 at a time, to their snapshot: ${ms.toFixed(0)} ms, ${((1000 * n) / ms).toFixed(0)} sockets/s, ${failed} failed`,
    );
  } else if (args.workload === "get") {
    const n = Number(args.n);
    const path = `/api/projects/${PROJECT}/ingest/jobs/${warm.id}`;
    const rate = async (url, headers) => {
      const t0 = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next++ < n) {
            const res = await fetch(url, { headers });
            if (!res.ok) throw new Error(`${url}: ${res.status}`);
            await res.arrayBuffer();
          }
        }),
      );
      return (1000 * n) / (performance.now() - t0);
    };
    const gets = await rate(`${dev.url}${path}`, { Authorization: `Bearer ${t}` });
    const { profile } = await inspector.send("Profiler.stop");
    save(profile);
    const health = await rate(`${dev.url}/health`, {});
    report(profile, `${n} GETs of one job, 8 at a time: ${gets.toFixed(0)} req/s; /health after: ${health.toFixed(0)} req/s (${(gets / health).toFixed(2)}x)`);
  } else if (args.workload === "create") {
    const n = Number(args.n);
    const kb = new TextEncoder().encode("x".repeat(1000) + "\n".repeat(24));
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < n) {
          next++;
          await upload(dev.url, t, PROJECT, kb, { filename: "one.txt", type: "text/plain" });
        }
      }),
    );
    const ms = performance.now() - t0;
    const { profile } = await inspector.send("Profiler.stop");
    save(profile);
    report(profile, `${n} creates of 1 KB, 8 at a time: ${ms.toFixed(0)} ms, ${((1000 * n) / ms).toFixed(0)} creates/s`);
  } else {
    const t0 = performance.now();
    const created = await upload(dev.url, t, PROJECT, bytes, { filename: "profiled.md", type: "text/markdown" });
    const uploadMs = performance.now() - t0;
    await waitForJobSocket(dev.url, t, PROJECT, created.id);
    const ms = performance.now() - t0;
    const { profile } = await inspector.send("Profiler.stop");
    save(profile);
    const log = await getJson(dev.url, t, `/api/projects/${PROJECT}/ingest/jobs/${created.id}/events`);
    report(profile, `${args.mb} MB Markdown: ${ms.toFixed(0)} ms from upload start to COMPLETED (upload ${uploadMs.toFixed(0)} ms)`);
    console.log(`stages (ms): ${JSON.stringify(stageTimes(log.items))}`);
  }
} finally {
  inspector?.close();
  await dev.stop();
  rmSync(persistTo, { recursive: true, force: true });
}

function save(profile) {
  mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
  writeFileSync(new URL(`./out/${args.workload}.cpuprofile`, import.meta.url), JSON.stringify(profile));
}

function report(profile, headline) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dts = profile.timeDeltas;
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (dts[i + 1] ?? 0) / 1000;
    const f = byId.get(id).callFrame;
    const file = f.url.split("/").pop() || "(native)";
    const key = `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const idle = self.get("(idle) (native):0") ?? 0;
  console.log(`${headline}; profiled ${total.toFixed(0)} ms, busy ${(total - idle).toFixed(0)} ms`);
  console.table(
    [...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, Number(args.top))
      .map(([fn, t]) => ({ "self ms": +t.toFixed(1), "% busy": +((100 * t) / (total - idle)).toFixed(1), function: fn })),
  );
}
