/**
 * The one `wrangler dev` harness of the benchmarks, the scripts and the e2e tests: starts
 * `wrangler dev` (local D1, R2 and Durable Objects under its own --persist-to directory),
 * waits for /health, mints tokens, finds the workerd process, and stops everything.
 */
import { spawn, execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { SignJWT } from "jose";
import { d1Shards } from "./shards.mjs";

export const SECRET = "bench-secret-that-is-at-least-32-bytes-long!!";
/** AES-256 key sealing webhook secrets at rest (base64 of 32 bytes); a fixed one for benches and tests. */
export const WEBHOOK_SECRET_KEY = Buffer.from("bench webhook key, 32 bytes long").toString("base64");
/**
 * The service's entry as the workerd tests run it (test/stepped-worker.ts): a job's work
 * never runs by itself, so jobs created against it stay QUEUED.
 */
export const HELD_JOBS_ENTRY = new URL("../../test/stepped-worker.ts", import.meta.url).pathname;
const BIN = new URL("../../node_modules/.bin/", import.meta.url).pathname;
/**
 * wrangler's local observability (on by default) records a trace of every invocation, each
 * object call and alarm included, in a SQLite store inside the same runtime: a cost of the
 * development tool that grows with the number of calls and that production does not have.
 * The benchmarks measure the service, so it is off here (`npm run dev` keeps it).
 */
const ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", X_LOCAL_OBSERVABILITY: "false", PATH: `${BIN}:${process.env.PATH}` };

/**
 * Applies the D1 migrations to every shard (DESIGN §12) under `persistTo` (`shards`: other
 * databases of `wrangler.toml`, e.g. all of them for a reshard), one after the other: two
 * runs at once on one state directory fail with SQLITE_BUSY.
 */
export async function applyMigrations(persistTo, shards = d1Shards()) {
  for (const shard of shards) {
    await new Promise((resolve, reject) => {
      const args = ["d1", "migrations", "apply", shard.name, "--local", "--persist-to", persistTo];
      const child = spawn("wrangler", args, { env: ENV, stdio: ["pipe", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      child.stdin.end("y\n");
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`migrations of ${shard.name} failed: ${stderr}`))));
    });
  }
}

/**
 * Starts wrangler dev on `port` with state in `persistTo` (`config`: another wrangler.toml
 * than the service's, e.g. bench/platform-floor's, which has no D1; `script`: another entry
 * than its `main`, e.g. `HELD_JOBS_ENTRY`). `vars` override
 * wrangler.toml; `inspectorPort` exposes the runtime's inspector (see bench/lib/heap.mjs);
 * `migrate: false` when `persistTo` already holds migrated shards (a copy of another
 * state directory). Returns { url, stop(), kill(), workerdPids() }.
 */
export async function startDev({ port, persistTo, vars = {}, log = false, inspectorPort = null, onLine = null, config = null, script = null, migrate = true }) {
  if (migrate && !config) await applyMigrations(persistTo);
  const args = [
    "dev",
    "--port",
    String(port),
    "--persist-to",
    persistTo,
    "--var",
    `JWT_SECRET:${SECRET}`,
    "--var",
    `WEBHOOK_SECRET_KEY:${WEBHOOK_SECRET_KEY}`,
    "--log-level",
    onLine ? "log" : log ? "info" : "warn",
  ];
  if (config) args.push("--config", config);
  if (script) args.splice(1, 0, script);
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  // The Worker runtime's Chrome DevTools Protocol (heap figures, bench/lib/heap.mjs). Always
  // a port of our own: wrangler's default (9229, else one it finds free) is picked before it
  // binds, so two servers starting at once can pick the same one and one of them exits.
  args.push("--inspector-port", String(inspectorPort || (await freePort())));
  // `onLine`: every line the Worker and its objects log (scripts/capacity.mjs counts them).
  // Otherwise the last few KB are kept, to say why a server that exits early failed.
  const out = log && !onLine ? "inherit" : "pipe";
  const child = spawn("wrangler", args, { env: ENV, stdio: ["ignore", out, out], detached: true });
  let tail = "";
  if (out === "pipe") {
    for (const stream of [child.stdout, child.stderr]) {
      let rest = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk) => {
        tail = (tail + chunk).slice(-4000);
        if (!onLine) return;
        const lines = (rest + chunk).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) onLine(line);
      });
    }
  }
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // it already exited
      }
      const why = child.exitCode !== null ? `wrangler dev exited (${child.exitCode}) before serving` : "wrangler dev did not come up within 120 s";
      throw new Error(tail ? `${why}:\n${tail}` : why);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    workerdPids: () => descendants(child.pid).filter((pid) => cmdline(pid).includes("workerd")),
    /**
     * SIGKILLs workerd and the whole wrangler process group (a crash, not a shutdown) and
     * waits until every one is gone; returns the pids it killed.
     */
    async kill() {
      const pids = [...descendants(child.pid).filter((pid) => cmdline(pid).includes("workerd")), child.pid];
      for (const pid of pids) tryKill(pid);
      tryKill(-child.pid);
      for (let i = 0; i < 100 && pids.some(isAlive); i++) await new Promise((r) => setTimeout(r, 50));
      const alive = pids.filter(isAlive);
      if (alive.length) throw new Error(`processes still alive after SIGKILL: ${alive.join(", ")}`);
      return pids;
    },
    /** SIGTERMs the process group; what is still running after 5 s is SIGKILLed. */
    async stop() {
      const pids = [...descendants(child.pid), child.pid];
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        return;
      }
      for (let i = 0; i < 100 && pids.some(isAlive); i++) await new Promise((r) => setTimeout(r, 50));
      tryKill(-child.pid);
      for (const pid of pids.filter(isAlive)) tryKill(pid);
    },
  };
}

function descendants(pid) {
  let out = [];
  let kids = [];
  try {
    kids = execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number);
  } catch {
    kids = [];
  }
  for (const k of kids) out = out.concat([k], descendants(k));
  return out;
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/** Resident memory of a process in bytes (VmRSS), or 0 if it is gone. */
export function rssBytes(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** An HS256 token for the bench secret. */
export function token({ sub = "bench", roles = ["admin"], projects = [], ttl = 6 * 3600 } = {}) {
  return new SignJWT({ roles, projects })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
    .sign(new TextEncoder().encode(SECRET));
}

/** Polls a job until it is finished; returns the job. */
export async function waitForJob(url, t, projectId, jobId, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/api/projects/${projectId}/ingest/jobs/${jobId}`, { headers: { Authorization: `Bearer ${t}` } });
    const job = await res.json();
    if (["COMPLETED", "FAILED", "CANCELLED"].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Uploads `bytes` as a raw streaming create; returns the job. */
export async function upload(url, t, projectId, bytes, { filename, type, query = {} }) {
  const q = new URLSearchParams({ filename, ...query });
  const res = await fetch(`${url}/api/projects/${projectId}/ingest/jobs?${q}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${t}`, "Content-Type": type },
    body: bytes,
  });
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A port nothing listens on right now (a fixed default could meet another server). */
export async function freePort() {
  const { port, release } = await reservePort();
  await release();
  return port;
}

/**
 * A free port, held by a listener until `release()`: for a server that starts later, so no
 * other process takes the port meanwhile.
 */
export function reservePort() {
  return new Promise((resolve, reject) => {
    // Connections are refused at once, so a client polling the port meanwhile retries.
    const srv = createServer((socket) => socket.destroy());
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      resolve({ port, release: () => new Promise((done) => srv.close(() => done())) });
    });
  });
}

function tryKill(pid) {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** True while `pid` exists and is not a zombie. */
function isAlive(pid) {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    return !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}
