/**
 * Where the Worker's CPU goes while one job runs: starts `wrangler dev` with the runtime's
 * inspector, runs a warm-up job, then records a CPU profile (CDP `Profiler`) across the
 * upload and the whole job of one Markdown file, and prints the functions with the most
 * self time, and the stages' wall time from the job's event log.
 *
 *   npm run bench:profile -- [--mb 10] [--top 30] [--port 8941] [--inspector-port 9241]
 *
 * Writes bench/out/job.cpuprofile (open it in Chrome DevTools → Performance).
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startDev, token, upload } from "./lib/server.mjs";
import { markdown } from "./lib/corpus.mjs";
import { getJson, waitForJobSocket } from "./lib/jobs.mjs";
import { connectInspector } from "./lib/heap.mjs";

const { values: args } = parseArgs({
  options: {
    mb: { type: "string", default: "10" },
    top: { type: "string", default: "30" },
    port: { type: "string", default: "8941" },
    "inspector-port": { type: "string", default: "9241" },
  },
});
const PROJECT = "bench-profile";
const bytes = markdown(Number(args.mb) * (1 << 20));
const persistTo = mkdtempSync(join(tmpdir(), "bench-profile-"));
const inspectorPort = Number(args["inspector-port"]);
const dev = await startDev({
  port: Number(args.port),
  persistTo,
  inspectorPort,
  vars: { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_HOUR: "1000000", MAX_DOCUMENT_CHARS: "200000000" },
});
let inspector = null;
try {
  inspector = await connectInspector(inspectorPort);
  const t = await token({ sub: "bench", roles: ["admin"], projects: [PROJECT] });
  const warm = await upload(dev.url, t, PROJECT, markdown(256 * 1024, 9), { filename: "warm-up.md", type: "text/markdown" });
  await waitForJobSocket(dev.url, t, PROJECT, warm.id);
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: 200 });
  await inspector.send("Profiler.start");
  const t0 = performance.now();
  const created = await upload(dev.url, t, PROJECT, bytes, { filename: "profiled.md", type: "text/markdown" });
  const uploadMs = performance.now() - t0;
  await waitForJobSocket(dev.url, t, PROJECT, created.id);
  const ms = performance.now() - t0;
  const { profile } = await inspector.send("Profiler.stop");
  mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
  writeFileSync(new URL("./out/job.cpuprofile", import.meta.url), JSON.stringify(profile));
  const log = await getJson(dev.url, t, `/api/projects/${PROJECT}/ingest/jobs/${created.id}/events`);
  report(profile, ms, uploadMs, log.items);
} finally {
  inspector?.close();
  await dev.stop();
  rmSync(persistTo, { recursive: true, force: true });
}

function report(profile, ms, uploadMs, events) {
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
  const idle = (self.get("(idle) (native):0") ?? 0);
  console.log(`${args.mb} MB Markdown: ${ms.toFixed(0)} ms from upload start to COMPLETED (upload ${uploadMs.toFixed(0)} ms); profiled ${total.toFixed(0)} ms, busy ${(total - idle).toFixed(0)} ms`);
  const stages = {};
  let prev = null;
  for (const e of events) {
    if (prev && ["job.stage", "job.completed", "job.started"].includes(e.type)) stages[prev.job.stage] = (stages[prev.job.stage] ?? 0) + (Date.parse(e.at) - Date.parse(prev.at));
    if (["job.stage", "job.started", "job.created"].includes(e.type)) prev = e;
  }
  console.log(`stages (ms): ${JSON.stringify(stages)}`);
  console.table(
    [...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, Number(args.top))
      .map(([fn, t]) => ({ "self ms": +t.toFixed(1), "% busy": +((100 * t) / (total - idle)).toFixed(1), function: fn })),
  );
}
