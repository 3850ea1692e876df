/**
 * Webhook durability, proved outside the test runner (DESIGN §9: "a restart of the
 * runtime mid-retry loses no delivery"):
 *
 *  1. starts a receiver on 127.0.0.1 that answers 500, and `wrangler dev` (own
 *     --persist-to dir, WEBHOOK_ALLOW_HTTP_LOCALHOST=true, the default backoff: the first
 *     retry 5 s after the first try); subscribes the receiver to `job.completed`;
 *  2. runs a small job to completion; once the receiver has refused the delivery's first
 *     try and the log shows it pending in backoff, SIGKILLs workerd and the wrangler
 *     process group, and checks they are gone;
 *  3. lets the receiver answer 204 from now on and starts `wrangler dev` again on the SAME
 *     state; without touching the project (no request to it), waits up to 30 s for the
 *     retry to arrive. If it does not, one GET of the delivery log (which wakes the hub,
 *     whose constructor re-arms a lost alarm) and waits again; reports which happened;
 *  4. checks: the retry arrived with the same `webhook-id`, it verifies with the
 *     `standardwebhooks` package, the log shows the delivery succeeded after 2 attempts,
 *     and no other delivery was made. Prints PASS/FAIL; exits 1 on FAIL.
 *
 *   npm run webhook-crash [-- --port N]   (default: a free port for each start)
 *
 * Writes bench/out/webhook-crash.json.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Webhook } from "standardwebhooks";
import { startDev, token, upload, waitForJob } from "../bench/lib/server.mjs";
import { startReceiver } from "../bench/lib/receiver.mjs";

const { values: args } = parseArgs({ options: { port: { type: "string" } } });
const PROJECT = "webhook-crash";
const RESUME_WAIT_MS = 30_000;
const VARS = { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_HOUR: "1000000", WEBHOOK_ALLOW_HTTP_LOCALHOST: "true" };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);

const persistTo = mkdtempSync(join(tmpdir(), "webhook-crash-"));
const port = () => (args.port ? Number(args.port) : freePort());
const t = await token({ sub: "webhook-crash", roles: ["admin"], projects: [PROJECT] });
const result = { checks: {} };
const receiver = await startReceiver({ answer: () => 500 });
let dev = null;

const api = async (path, init = {}) => {
  const res = await fetch(`${dev.url}/api/projects/${PROJECT}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${t}`, "Content-Type": "application/json", ...init.headers },
  });
  const body = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
};

try {
  // 1. Receiver refusing, server up, subscription made.
  dev = await startDev({ port: await port(), persistTo, vars: VARS });
  log(`wrangler dev #1 up on ${dev.url}; receiver on ${receiver.url} answers 500`);
  const hook = await api("/webhooks", { method: "POST", body: JSON.stringify({ url: `${receiver.url}/hook`, events: ["job.completed"] }) });

  // 2. A job completes; its delivery's first try is refused; kill while it waits in backoff.
  const job = await upload(dev.url, t, PROJECT, "A small document whose completion must be told.", { filename: "a.txt", type: "text/plain" });
  await waitForJob(dev.url, t, PROJECT, job.id);
  let pending = null;
  for (let i = 0; i < 200 && !pending; i++) {
    const { items } = await api(`/webhooks/${hook.id}/deliveries`);
    if (items[0]?.attempts >= 1 && items[0].status === "pending") pending = items[0];
    else await sleep(25);
  }
  if (!pending) throw new Error("the delivery never reached backoff");
  result.beforeKill = pending;
  log(`delivery ${pending.id} refused once (${pending.lastError}); next try at ${pending.nextAttemptAt}: killing the dev server`);
  const pids = [...dev.workerdPids(), dev.child.pid];
  for (const pid of pids) tryKill(pid);
  tryKill(-dev.child.pid);
  for (let i = 0; i < 100 && pids.some((pid) => existsSync(`/proc/${pid}`) && !isZombie(pid)); i++) await sleep(50);
  const alive = pids.filter((pid) => existsSync(`/proc/${pid}`) && !isZombie(pid));
  if (alive.length) throw new Error(`processes still alive after SIGKILL: ${alive.join(", ")}`);
  const down = await fetch(`${dev.url}/health`).then(() => false, () => true);
  log(`killed ${pids.length} processes (${pids.join(", ")}); server down: ${down}`);
  dev = null;
  const triesBeforeRestart = receiver.received.length;

  // 3. Receiver now accepts; restart on the same state without touching the project.
  receiver.setAnswer(() => 204);
  const restartAt = Date.now();
  dev = await startDev({ port: await port(), persistTo, vars: VARS });
  result.restartMs = Date.now() - restartAt;
  log(`wrangler dev #2 up on the same persist dir after ${result.restartMs} ms; waiting for the retry`);
  let resumedBy = null;
  while (Date.now() - restartAt < RESUME_WAIT_MS) {
    if (receiver.received.length > triesBeforeRestart) {
      resumedBy = "the hub's own alarm";
      break;
    }
    await sleep(100);
  }
  if (!resumedBy) {
    log(`no retry in ${RESUME_WAIT_MS / 1000} s; one GET of the delivery log wakes the hub`);
    await api(`/webhooks/${hook.id}/deliveries`);
    for (let i = 0; i < 300 && receiver.received.length === triesBeforeRestart; i++) await sleep(100);
    if (receiver.received.length > triesBeforeRestart) resumedBy = "a request waking the hub, which re-armed the lost alarm";
  }
  result.resumedBy = resumedBy;
  result.retryMsAfterRestart = receiver.received.length > triesBeforeRestart ? receiver.received[triesBeforeRestart].at - restartAt : null;
  log(`retry arrived ${result.retryMsAfterRestart} ms after the restart began, sent by ${resumedBy}`);
  let after = null;
  for (let i = 0; i < 100; i++) {
    const { items } = await api(`/webhooks/${hook.id}/deliveries`);
    after = items;
    if (items[0]?.status !== "pending") break;
    await sleep(50);
  }

  // 4. Checks.
  const check = (name, ok, detail) => {
    result.checks[name] = { ok, detail };
    console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
  };
  check("server was down", down, String(down));
  check("retry arrived after the restart", resumedBy !== null, resumedBy ?? "never");
  const tries = receiver.received;
  check("same webhook-id on every try", tries.every((r) => r.headers["webhook-id"] === pending.id), tries.map((r) => r.headers["webhook-id"]).join(", "));
  let verified = false;
  try {
    verified = Boolean(new Webhook(hook.secret).verify(tries.at(-1).body, tries.at(-1).headers));
  } catch (err) {
    verified = String(err);
  }
  check("the retry verifies with standardwebhooks", verified === true, String(verified));
  check("one delivery in the log", after.length === 1, `${after.length}`);
  check("log: succeeded after 2 attempts", after[0]?.status === "succeeded" && after[0]?.attempts === 2, JSON.stringify(after[0]));
  check("the receiver saw exactly the two tries", tries.length === 2, tries.map((r) => r.answer).join(", "));
  result.after = after;
} catch (err) {
  result.checks.error = { ok: false, detail: String(err?.stack ?? err) };
  console.error(err);
} finally {
  if (dev) await dev.stop();
  await receiver.close();
  rmSync(persistTo, { recursive: true, force: true });
}

const pass = Object.keys(result.checks).length > 1 && Object.values(result.checks).every((c) => c.ok);
result.pass = pass;
mkdirSync(new URL("../bench/out/", import.meta.url), { recursive: true });
writeFileSync(new URL("../bench/out/webhook-crash.json", import.meta.url), JSON.stringify(result, null, 2));
console.log(`\n${pass ? "PASS" : "FAIL"}: a delivery waiting in backoff when wrangler dev was SIGKILLed was ${pass ? "delivered after the restart" : "NOT delivered as expected"}`);
process.exit(pass ? 0 : 1);

function tryKill(pid) {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function isZombie(pid) {
  try {
    return /State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return true;
  }
}

/** A port nothing listens on right now (a fixed default could meet another server). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
