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
 *     and no other delivery was made;
 *  5. mid-attempt: in a second project, a receiver holds the first try open (no answer);
 *     while it is held, SIGKILL again, restart, and check the delivery is sent again with
 *     the same `webhook-id` and logged as succeeded (the interrupted try never recorded
 *     an outcome, so the log counts 1 attempt while the receiver saw 2: at least once).
 * Prints PASS/FAIL; exits 1 on FAIL.
 *
 *   npm run webhook-crash [-- --port N]   (default: a free port for each start)
 *
 * Writes bench/out/webhook-crash.json.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Webhook } from "standardwebhooks";
import { freePort, startDev, token, upload, waitForJob } from "./lib/dev-server.mjs";
import { runChecks } from "./lib/check-run.mjs";
import { startReceiver } from "./lib/receiver.mjs";

const { values: args } = parseArgs({ options: { port: { type: "string" } } });
const PROJECT = "webhook-crash";
const RESUME_WAIT_MS = 30_000;
const VARS = { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_HOUR: "1000000", WEBHOOK_ALLOW_HTTP_LOCALHOST: "true" };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);

const persistTo = mkdtempSync(join(tmpdir(), "webhook-crash-"));
const port = () => (args.port ? Number(args.port) : freePort());
const PROJECT_B = "webhook-crash-mid-attempt";
const t = await token({ sub: "webhook-crash", roles: ["admin"], projects: [PROJECT, PROJECT_B] });
const result = {};
/** Answers by path: /hook refuses until told otherwise; /hold holds the first request open. */
let accepting = false;
const receiver = await startReceiver({ answer: (req) => (accepting ? 204 : req.path === "/hold" ? "hang" : 500) });
let dev = null;

const api = async (path, init = {}, project = PROJECT) => {
  const res = await fetch(`${dev.url}/api/projects/${project}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${t}`, "Content-Type": "application/json", ...init.headers },
  });
  const body = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
};

const body = async (check) => {
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
  const down = await killDev();
  const triesBeforeRestart = receiver.received.length;

  // 3. Receiver now accepts; restart on the same state without touching the project.
  accepting = true;
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
  check("server was down", down, String(down));
  check("retry arrived after the restart", resumedBy !== null, resumedBy ?? "never");
  const tries = receiver.received;
  check(
    "same webhook-id on every try",
    tries.every((r) => r.headers["webhook-id"] === pending.id),
    tries.map((r) => r.headers["webhook-id"]).join(", "),
  );
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

  // 5. Mid-attempt: kill while the receiver holds the first try open.
  accepting = false;
  const hookB = await api("/webhooks", { method: "POST", body: JSON.stringify({ url: `${receiver.url}/hold`, events: ["job.completed"] }) }, PROJECT_B);
  const jobB = await upload(dev.url, t, PROJECT_B, "Another small document.", { filename: "b.txt", type: "text/plain" });
  await waitForJob(dev.url, t, PROJECT_B, jobB.id);
  const held = () => receiver.received.filter((r) => r.path === "/hold");
  for (let i = 0; i < 400 && held().length === 0; i++) await sleep(25);
  if (held().length === 0) throw new Error("the held try never arrived");
  log(`receiver holds try 1 of ${held()[0].headers["webhook-id"]} open: killing the dev server`);
  const downB = await killDev();
  accepting = true;
  dev = await startDev({ port: await port(), persistTo, vars: VARS });
  log("wrangler dev #3 up on the same persist dir; waiting for the retry of the interrupted try");
  for (let i = 0; i < 300 && held().length < 2; i++) await sleep(100);
  if (held().length < 2) {
    log("no retry in 30 s; one GET of the delivery log wakes the hub");
    await api(`/webhooks/${hookB.id}/deliveries`, {}, PROJECT_B);
    for (let i = 0; i < 300 && held().length < 2; i++) await sleep(100);
  }
  let afterB = [];
  for (let i = 0; i < 100; i++) {
    afterB = (await api(`/webhooks/${hookB.id}/deliveries`, {}, PROJECT_B)).items;
    if (afterB[0]?.status !== "pending") break;
    await sleep(50);
  }
  const triesB = held();
  check("mid-attempt: server was down", downB, String(downB));
  check("mid-attempt: the interrupted delivery was sent again after the restart", triesB.length === 2, triesB.map((r) => r.answer).join(", "));
  check(
    "mid-attempt: same webhook-id",
    triesB.length === 2 && triesB[0].headers["webhook-id"] === triesB[1].headers["webhook-id"],
    triesB.map((r) => r.headers["webhook-id"]).join(", "),
  );
  check("mid-attempt: log shows one delivery, succeeded", afterB.length === 1 && afterB[0].status === "succeeded", JSON.stringify(afterB[0]));
  result.midAttempt = { tries: triesB.map((r) => ({ at: r.at, answer: r.answer, id: r.headers["webhook-id"] })), after: afterB };
};

process.exit(
  await runChecks({
    name: "webhook-crash",
    result,
    persistTo,
    body,
    // Each scenario records several checks: one alone means the run broke off early.
    minChecks: 2,
    stop: async () => {
      if (dev) await dev.stop();
      await receiver.close();
    },
    summary: () => "deliveries interrupted by a SIGKILL of wrangler dev (one in backoff, one mid-attempt), delivered after the restart",
  }),
);

/** SIGKILLs workerd and the wrangler process group; true when the server no longer answers. */
async function killDev() {
  const pids = await dev.kill();
  const down = await fetch(`${dev.url}/health`).then(
    () => false,
    () => true,
  );
  log(`killed ${pids.length} processes (${pids.join(", ")}); server down: ${down}`);
  dev = null;
  return down;
}
