/**
 * The frame flood of `scripts/hostile-health.mjs`: one viewer sends 100-byte text frames
 * on a watcher socket (from its own process, `flooder.mjs`), while this process times
 * `/health` (sequential requests, 20 ms apart) until the flooder's connection has ended.
 *
 * The same flood runs against three targets, so the figures say whose the time is:
 * - the service under `wrangler dev` (the project stream);
 * - the floor (`flood-floor/worker.js`: a Durable Object that only accepts the socket and
 *   closes it at the first frame) under `wrangler dev`;
 * - the same floor under a bare `workerd` (no wrangler, no Miniflare).
 * The service closes the socket at the first frame, so a standard client stops sending
 * when that close arrives; what it had already put on the wire (up to 1 MiB here) is still
 * handed by the runtime to the object, one event per frame, until the client's own close
 * frame is read (workerd's hibernation read loop).
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startDev } from "../lib/dev-server.mjs";
import { stats } from "./sockets-and-receivers.mjs";

const FLOODER = new URL("./flooder.mjs", import.meta.url).pathname;
const FLOOR_DIR = new URL("./flood-floor/", import.meta.url).pathname;
const WORKERD = new URL("../../node_modules/.bin/workerd", import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** CPU time (ms) a process has used so far; 0 once it is gone. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

async function healthOnce(url) {
  const t0 = performance.now();
  const res = await fetch(`${url}/health`);
  await res.arrayBuffer();
  return performance.now() - t0;
}

/**
 * One flood of `frames` frames on `wsUrl` from a child process; `/health` on `healthUrl`
 * meanwhile. `pids`: the runtime processes whose CPU time is counted.
 */
export async function flood({ wsUrl, healthUrl, frames, frameBytes = 100, pids = [] }) {
  for (let i = 0; i < 20; i++) await healthOnce(healthUrl);
  const idle = [];
  for (let i = 0; i < 50; i++) {
    idle.push(await healthOnce(healthUrl));
    await sleep(20);
  }
  const cpuBefore = pids.map(cpuMs);
  const child = spawn(process.execPath, [FLOODER, wsUrl, String(frames), String(frameBytes)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  let running = true;
  const exited = new Promise((resolve) => child.on("exit", resolve)).then(() => (running = false));
  const during = [];
  while (running) {
    during.push(await healthOnce(healthUrl));
    await sleep(20);
  }
  await exited;
  const result = JSON.parse(out.trim().split("\n").at(-1) ?? "{}");
  const cpu = pids.reduce((sum, pid, i) => sum + cpuMs(pid) - cpuBefore[i], 0);
  return {
    idle: stats(idle),
    health: stats(during),
    sent: result.sent,
    closeFrame: result.closeFrame,
    endedMs: result.endedMs,
    code: result.code,
    runtimeCpuUsPerFrame: result.sent ? Math.round((cpu * 1000) / result.sent) : NaN,
  };
}

/** The floor Worker under a bare `workerd` (SQLite-backed object on a temporary disk). */
async function startBareFloor() {
  const dir = mkdtempSync(join(tmpdir(), "flood-floor-"));
  mkdirSync(join(dir, "do"));
  const port = await freePort();
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .floor), (name = "do", disk = (path = ${JSON.stringify(join(dir, "do"))}, writable = true)) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const floor :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "2025-06-01",
  bindings = [ (name = "HUB", durableObjectNamespace = "Hub") ],
  durableObjectNamespaces = [ (className = "Hub", uniqueKey = "flood-floor", enableSql = true) ],
  durableObjectStorage = (localDisk = "do"),
);
`;
  // `embed` paths are relative to the config file.
  copyFileSync(join(FLOOR_DIR, "worker.js"), join(dir, "worker.js"));
  writeFileSync(join(dir, "config.capnp"), config);
  const child = spawn(WORKERD, ["serve", join(dir, "config.capnp"), "--experimental"], { stdio: ["ignore", "ignore", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      if (i > 300 || child.exitCode !== null) throw new Error("bare workerd did not come up");
    }
    await sleep(100);
  }
  return {
    url,
    pids: [child.pid],
    stop: () => {
      child.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The flood against the service (`dev`, already running, `token` a viewer of `projectId`),
 * then the floor under `wrangler dev` and under bare `workerd`. Returns one row per target.
 */
export async function frameFloodScenario({ dev, token, projectId, frames = 50_000 }) {
  const rows = {};
  const ws = (url, path) => `${url.replace("http", "ws")}${path}`;
  rows["service (wrangler dev)"] = await flood({
    wsUrl: ws(dev.url, `/api/projects/${projectId}/ingest/events?access_token=${token}`),
    healthUrl: dev.url,
    frames,
    pids: dev.workerdPids(),
  });
  const floorTmp = mkdtempSync(join(tmpdir(), "flood-floor-dev-"));
  const floorDev = await startDev({ port: await freePort(), persistTo: floorTmp, config: join(FLOOR_DIR, "wrangler.toml") });
  try {
    rows["floor (wrangler dev)"] = await flood({ wsUrl: ws(floorDev.url, "/watch"), healthUrl: floorDev.url, frames, pids: floorDev.workerdPids() });
  } finally {
    await floorDev.stop();
    rmSync(floorTmp, { recursive: true, force: true });
  }
  const bare = await startBareFloor();
  try {
    rows["floor (bare workerd)"] = await flood({ wsUrl: ws(bare.url, "/watch"), healthUrl: bare.url, frames, pids: bare.pids });
  } finally {
    bare.stop();
  }
  return rows;
}
