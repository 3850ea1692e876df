/**
 * Live-event fan-out under `wrangler dev`: WebSocket watchers on one running job
 * (1, 100 and 1,000) and on the project stream (100), and what the watchers cost the job.
 *
 * - Latency: from an event's commit (its `at`, set by the job object when it commits the
 *   event) to its receipt by each watcher (`Date.now()` in the message handler; same
 *   machine, same clock). The snapshot frame is skipped; every live event counts.
 *   Rows marked "steady" keep only events committed after the last watcher connected.
 * - Connecting: a job's id exists only once its upload returns, and the job starts at
 *   once, so per-job watchers connect (parallel batches of 100) while the job runs.
 *   Project-stream watchers connect before the upload.
 * - Checks: after its snapshot's seq each watcher must see every logged event, in order,
 *   exactly as the stored log has it (no gap, no duplicate, same `at`), up to the final
 *   event; and every socket must still be open at the end.
 * - Slowdown: the same Markdown bytes (generated here) are run with 0 and with the most
 *   watchers, fresh `wrangler dev` each, interleaved; ratio of the medians of upload →
 *   COMPLETED (`completedAt` − the client's clock before the upload). Because connecting
 *   overlaps the run, a steady-state ratio is also given: from the job's progress when
 *   the last watcher connected to COMPLETED, against the unwatched runs' time from the
 *   same progress (interpolated in their event logs). The full run uses 96 MB (under the
 *   100 MB upload limit) so the job outlasts connecting 1,000 sockets (50-140/s measured).
 *   A "harness floor" row runs the same client against a bare Node WebSocket server.
 *
 * Run: npm run bench:watchers -- [--quick]
 * Writes bench/out/watchers.json.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { startDev, token, upload } from "../scripts/lib/dev-server.mjs";
import { workerdUsage } from "./lib/cannon.mjs";
import { harnessFloor, markdown, median, openWatchers, probeUpgrade, stats } from "./lib/watch.mjs";

const QUICK = process.argv.includes("--quick");
const CFG = QUICK
  ? { mb: 24, jobWatchers: [1, 50, 200], projectWatchers: 20, reps: 1 }
  : { mb: 96, jobWatchers: [1, 100, 1000], projectWatchers: 100, reps: 2 };
const MAX_WATCHERS = Math.max(...CFG.jobWatchers);
const TARGET_P99_MS = 50;
const TARGET_SLOWDOWN = 1.1;
const PROJECT = "bench_watch";
// 96 MB of text is above the default MAX_DOCUMENT_CHARS (50 M characters).
const VARS = { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000000", RATE_LIMIT_USER_PER_HOUR: "1000000000", MAX_DOCUMENT_CHARS: "200000000" };
const FINAL = new Set(["job.completed", "job.failed", "job.cancelled"]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Files under src/ changed since `since` (wrangler dev reloads on them, dropping every socket: 1006). */
function srcChangedSince(since) {
  const dir = new URL("../src/", import.meta.url).pathname;
  return readdirSync(dir, { recursive: true }).filter((f) => statSync(dir + f).mtimeMs > since);
}

/** CPU seconds (user + system) workerd has used so far: the one thread that runs the job, its sockets and every binding. */
function workerdCpu(dev) {
  return workerdUsage(dev.workerdPids()).cpu;
}

/** A port nobody listens on now (another bench may be running on this machine). */
const freePort = () =>
  new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

/** One fresh `wrangler dev`, one upload of `bytes`, `jobN` job watchers and `projectN` project watchers. */
async function runJob(bytes, { jobN = 0, projectN = 0 }) {
  const port = await freePort();
  const persistTo = `/tmp/bench-watchers-${process.pid}-${port}`;
  const dev = await startDev({ port, persistTo, vars: VARS });
  const all = [];
  try {
    const t = await token({ sub: "watch-bench", roles: ["admin"], projects: [PROJECT] });
    const wsBase = `${dev.url.replace(/^http/, "ws")}/api/projects/${PROJECT}/ingest`;
    const projectWatchers = await openWatchers(`${wsBase}/events?access_token=${t}`, projectN);
    all.push(...projectWatchers);
    const t0 = Date.now();
    const cpu0 = workerdCpu(dev);
    const created = await upload(dev.url, t, PROJECT, bytes, { filename: "watch.md", type: "text/markdown" });
    const uploadedAt = Date.now();
    const jobWs = `${wsBase}/jobs/${created.id}/events?access_token=${t}`;
    const jobWatchers = await openWatchers(jobWs, jobN, { waitForFrame: true });
    all.push(...jobWatchers);
    const connectedAt = Date.now();
    const refused = all.some((w) => w.failed) ? await probeUpgrade(jobWatchers.length ? jobWs : `${wsBase}/events?access_token=${t}`) : null;
    const headers = { Authorization: `Bearer ${t}` };
    const jobUrl = `${dev.url}/api/projects/${PROJECT}/ingest/jobs/${created.id}`;
    let job;
    for (const deadline = Date.now() + 600_000; ; await sleep(250)) {
      job = await (await fetch(jobUrl, { headers })).json();
      if (["COMPLETED", "FAILED", "CANCELLED"].includes(job.status)) break;
      if (Date.now() > deadline) throw new Error(`job still ${job.status} after 10 minutes`);
    }
    const cpuSeconds = workerdCpu(dev) - cpu0;
    const log = (await (await fetch(`${jobUrl}/events`, { headers })).json()).items;
    // Let the last frames arrive before the sockets are checked and closed.
    const hasFinal = (w) => w.frames.length > 0 && FINAL.has(JSON.parse(w.frames[w.frames.length - 1][1]).type);
    for (const until = Date.now() + 10_000; Date.now() < until && !all.every((w) => w.failed || hasFinal(w)); ) await sleep(50);
    const stillOpen = all.filter((w) => !w.failed && !w.closed && w.ws.readyState === WebSocket.OPEN).length;
    return {
      status: job.status,
      totalMs: Date.parse(job.completedAt) - t0,
      cpuSeconds,
      uploadMs: uploadedAt - t0,
      connectMs: connectedAt - uploadedAt,
      connectedAt,
      failed: all.filter((w) => w.failed).length,
      refused,
      srcChanged: srcChangedSince(t0),
      closedEarly: all.filter((w) => w.closed).map((w) => w.closed.code),
      stillOpen,
      log,
      job: analyse(jobWatchers, log, true, connectedAt),
      project: analyse(projectWatchers, log, false, connectedAt),
    };
  } finally {
    for (const w of all) w.ws?.close();
    await dev.stop();
    rmSync(persistTo, { recursive: true, force: true });
  }
}

/**
 * Latencies and the gap check. Each watcher's events after its start (the snapshot's seq,
 * or 0 for the project stream, which connected, and got its snapshot, before the job existed) must equal the
 * stored log from there on: same seq, type and `at`, none missing, through the last event.
 */
function analyse(watchers, log, snapshot, connectedAt) {
  const lat = [];
  const steady = [];
  let events = 0;
  let gapFree = 0;
  const problems = [];
  const perEvent = new Map(); // seq → [first, last] receipt latency across the watchers
  for (const w of watchers) {
    if (w.failed) continue;
    const frames = w.frames.map(([recv, d]) => ({ recv, e: JSON.parse(d) }));
    let from = 0;
    // The project stream opens with a `project.snapshot` (taken before the job existed).
    if (!snapshot && frames[0]?.e.type === "project.snapshot") frames.shift();
    if (snapshot) {
      const first = frames.shift();
      if (first?.e.type !== "job.snapshot") {
        problems.push(`first frame ${first?.e.type}`);
        continue;
      }
      from = first.e.seq;
    }
    const expected = log.slice(from);
    const mine = frames.filter((f) => f.e.type !== "pong");
    let ok = mine.length === expected.length;
    mine.forEach(({ recv, e }, i) => {
      const x = expected[i];
      if (!x || x.seq !== e.seq || x.type !== e.type || x.at !== e.at || e.jobId !== x.jobId) ok = false;
      const ms = recv - Date.parse(e.at);
      lat.push(ms);
      const fl = perEvent.get(e.seq) ?? [ms, ms];
      perEvent.set(e.seq, [Math.min(fl[0], ms), Math.max(fl[1], ms)]);
      if (Date.parse(e.at) >= connectedAt) steady.push(ms);
    });
    events += mine.length;
    if (ok) gapFree++;
    else if (problems.length < 5) problems.push(`got seqs ${mine.map((f) => f.e.seq).join(",")} expected ${from + 1}..${log.length}`);
  }
  const fanout = [...perEvent.values()].map(([first, last]) => ({ first, spread: last - first }));
  return { watchers: watchers.length, events, gapFree, problems, lat, steady, fanout };
}

/** Epoch ms at which a run's logged progress first reached `p` (linear between events). */
function timeAtProgress(log, p) {
  for (let i = 1; i < log.length; i++) {
    const [a, b] = [log[i - 1], log[i]];
    if (b.job.progress >= p) {
      const [ta, tb] = [Date.parse(a.at), Date.parse(b.at)];
      const span = b.job.progress - a.job.progress;
      return span > 0 ? ta + ((p - a.job.progress) / span) * (tb - ta) : tb;
    }
  }
  return Date.parse(log[log.length - 1].at);
}

/** Steady-state span of a watched run: from the first event committed after the last watcher connected. */
function steadySpan(run) {
  const end = Date.parse(run.log[run.log.length - 1].at);
  const first = run.log.find((e) => Date.parse(e.at) >= run.connectedAt && !FINAL.has(e.type));
  return first ? { progress: first.job.progress, ms: end - Date.parse(first.at) } : null;
}

const fmt = (x, d = 0) => (x === null || x === undefined ? "n/a" : Number(x).toFixed(d));

async function main() {
  const bytes = markdown(CFG.mb * 1024 * 1024);
  console.log(
    `watchers bench${QUICK ? " (--quick)" : ""}: ${CFG.mb} MB Markdown, job watchers ${CFG.jobWatchers.join("/")}, project watchers ${CFG.projectWatchers}`,
  );
  const runs = [];
  const run = async (label, opts) => {
    const r = await runJob(bytes, opts);
    console.log(
      `  ${label}: ${r.status} in ${r.totalMs} ms (upload ${r.uploadMs} ms, connecting ${r.connectMs} ms), ` +
        `workerd CPU ${fmt(r.cpuSeconds, 1)} s (${fmt((r.cpuSeconds * 100_000) / r.totalMs)}% of one core), ${r.log.length} logged events, open ${r.stillOpen}/${(opts.jobN ?? 0) + (opts.projectN ?? 0)}` +
        (r.failed ? `, ${r.failed} failed to connect (a probe upgrade got: ${r.refused})` : "") +
        (r.closedEarly.length ? `, closed early: ${r.closedEarly.slice(0, 5).join(",")}` : "") +
        (r.srcChanged.length ? ` — src/ changed during the run (${r.srcChanged.join(", ")}): wrangler dev reloaded, figures invalid` : ""),
    );
    runs.push({ label, ...opts, ...r });
    return r;
  };
  // Slowdown pairs first, interleaved so drift on the machine hits both sides alike.
  for (let i = 1; i <= CFG.reps; i++) {
    await run(`0 watchers #${i}`, { jobN: 0 });
    await run(`${MAX_WATCHERS} watchers #${i}`, { jobN: MAX_WATCHERS });
  }
  for (const n of CFG.jobWatchers.filter((n) => n !== MAX_WATCHERS)) await run(`${n} watchers`, { jobN: n });
  await run(`project stream ${CFG.projectWatchers}`, { projectN: CFG.projectWatchers });

  const rows = [];
  const row = (scenario, n, parts, key, extra = {}) => {
    const s = stats(parts.flatMap((p) => p[key]));
    const fan = parts.flatMap((p) => p.fanout);
    const fanout = key === "lat" ? { firstP50: median(fan.map((x) => x.first)), spreadP50: median(fan.map((x) => x.spread)) } : {};
    rows.push({ scenario, watchers: n, events: s.n, p50: s.p50, p99: s.p99, max: s.max, ...fanout, ...extra });
  };
  const checks = [];
  for (const n of CFG.jobWatchers) {
    const rs = runs.filter((r) => r.jobN === n);
    const parts = rs.map((r) => r.job);
    row("job stream, all live events", n, parts, "lat", { connectMs: rs.map((r) => r.connectMs) });
    if (n > 1) row("job stream, steady (after last connect)", n, parts, "steady");
    for (const r of rs) checks.push({ label: r.label, watchers: n, gapFree: r.job.gapFree, open: r.stillOpen, problems: r.job.problems });
  }
  const proj = runs.find((r) => r.projectN);
  row("project stream, all events", CFG.projectWatchers, [proj.project], "lat");
  checks.push({ label: proj.label, watchers: proj.projectN, gapFree: proj.project.gapFree, open: proj.stillOpen, problems: proj.project.problems });
  const floor = await harnessFloor(MAX_WATCHERS);
  rows.push({
    scenario: "harness floor: Node WebSocket server, no workerd",
    watchers: floor.watchers,
    events: floor.n,
    p50: floor.p50,
    p99: floor.p99,
    max: floor.max,
  });

  const base = runs.filter((r) => r.jobN === 0 && !r.projectN);
  const loaded = runs.filter((r) => r.jobN === MAX_WATCHERS);
  const slowdown = median(loaded.map((r) => r.totalMs)) / median(base.map((r) => r.totalMs));
  const steadyRatios = loaded
    .map((r) => {
      const s = steadySpan(r);
      if (!s) return null;
      const baseSpans = base.map((b) => Date.parse(b.log[b.log.length - 1].at) - timeAtProgress(b.log, s.progress));
      return { fromProgress: s.progress, ms: s.ms, baseMs: median(baseSpans), ratio: s.ms / median(baseSpans) };
    })
    .filter(Boolean);
  const steadySlowdown = steadyRatios.length ? median(steadyRatios.map((s) => s.ratio)) : null;

  console.log("\n| scenario | watchers | events received | p50 ms | p99 ms | max ms |\n| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) console.log(`| ${r.scenario} | ${r.watchers} | ${r.events} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} |`);
  console.log("\nFan-out per event (median over events): latency of the first watcher to get it, and last − first receipt:");
  for (const r of rows.filter((r) => r.firstP50 !== undefined))
    console.log(`  ${r.scenario}, ${r.watchers}: first ${fmt(r.firstP50)} ms, spread ${fmt(r.spreadP50)} ms`);
  console.log("\nConnecting (upload returned → every job watcher had its snapshot):");
  for (const r of runs.filter((r) => r.jobN > 0)) console.log(`  ${r.label}: ${r.connectMs} ms (${fmt((r.jobN / r.connectMs) * 1000)} sockets/s)`);
  console.log("\nDelivery checks (gap-free = saw exactly the stored log after its snapshot, through the final event):");
  for (const c of checks) {
    console.log(
      `  ${c.label}: gap-free ${c.gapFree}/${c.watchers}, still open at the end ${c.open}/${c.watchers}${c.problems.length ? `; e.g. ${c.problems[0]}` : ""}`,
    );
  }
  const fmtRuns = (rs) => rs.map((r) => r.totalMs).join(", ");
  const top = rows.find((r) => r.watchers === MAX_WATCHERS && r.scenario.startsWith("job stream, all"));
  console.log(
    `\nSlowdown: upload → COMPLETED, median ${MAX_WATCHERS} watchers [${fmtRuns(loaded)}] ÷ median 0 watchers [${fmtRuns(base)}] = ${fmt(slowdown, 3)}`,
  );
  for (const s of steadyRatios) {
    console.log(`  steady state: from progress ${fmt(s.fromProgress, 3)} to COMPLETED ${s.ms} ms vs ${fmt(s.baseMs)} ms unwatched = ${fmt(s.ratio, 3)}`);
  }
  // What the watchers cost the one workerd thread: extra CPU over the unwatched runs, per
  // frame delivered. Local workerd runs the job, its sockets and every binding on one
  // thread, so this CPU is taken from the job whatever the code does with the sends.
  const frames = top ? top.events / Math.max(1, loaded.length) : 0;
  const cpuExtra = median(loaded.map((r) => r.cpuSeconds)) - median(base.map((r) => r.cpuSeconds));
  const cpuShare = median(loaded.map((r) => (r.cpuSeconds * 1000) / r.totalMs));
  console.log(
    `\nworkerd CPU: median ${fmt(median(base.map((r) => r.cpuSeconds)), 1)} s unwatched, ${fmt(median(loaded.map((r) => r.cpuSeconds)), 1)} s with ${MAX_WATCHERS} watchers ` +
      `(${fmt(cpuShare * 100)}% of one core over the watched run); extra ${fmt(cpuExtra, 2)} s for ${MAX_WATCHERS} upgrades and ~${fmt(frames)} frames delivered = at most ${fmt(frames ? (cpuExtra * 1e6) / frames : null)} µs per frame`,
  );
  const allChecks = checks.every((c) => c.gapFree === c.watchers && c.open === c.watchers);
  const targets = {
    p99: { value: top.p99, target: `< ${TARGET_P99_MS} ms at ${MAX_WATCHERS} watchers`, met: top.p99 !== null && top.p99 < TARGET_P99_MS },
    slowdown: { value: slowdown, target: `< ${TARGET_SLOWDOWN} (upload → COMPLETED)`, met: slowdown < TARGET_SLOWDOWN },
    steadySlowdown: {
      value: steadySlowdown,
      target: `< ${TARGET_SLOWDOWN} (after the last watcher connected)`,
      met: steadySlowdown !== null && steadySlowdown < TARGET_SLOWDOWN,
    },
    delivery: { value: allChecks, target: "every watcher gap-free and still open", met: allChecks },
  };
  console.log("");
  for (const [name, t] of Object.entries(targets)) {
    const v =
      typeof t.value === "number"
        ? fmt(t.value, name === "p99" ? 0 : 3)
        : t.value === null
          ? "n/a (the job finished before the last watcher connected)"
          : String(t.value);
    console.log(`Target ${name} ${t.target}: ${v} → ${t.met ? "MET" : "NOT MET"}`);
  }
  if (QUICK) console.log("(--quick: smaller file and watcher counts; the targets are stated for the full run)");

  mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
  const out = {
    quick: QUICK,
    config: CFG,
    rows,
    checks,
    slowdown: {
      ratio: slowdown,
      steady: steadySlowdown,
      steadyRuns: steadyRatios,
      watched: loaded.map((r) => r.totalMs),
      unwatched: base.map((r) => r.totalMs),
    },
    runs: runs.map(({ log, job: _job, project: _project, ...r }) => ({ ...r, loggedEvents: log.length })),
    targets,
  };
  writeFileSync(new URL("./out/watchers.json", import.meta.url), JSON.stringify(out, null, 2));
  console.log("Wrote bench/out/watchers.json");
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
