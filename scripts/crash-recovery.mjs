/**
 * Crash recovery, proved outside the test runner: a job whose dev server is killed
 * mid-pipeline finishes after a restart with exactly the output of an uninterrupted run.
 *
 *  1. starts `wrangler dev` (own --persist-to dir) and uploads a 30 MB Markdown file
 *     (--quick: 8 MB deep-scanned, so it is staged over enough alarms to be killed mid-way;
 *     the second job of step 4 is uploaded the same way);
 *  2. once the job is RUNNING with progress > 0.1, SIGKILLs the workerd process(es) and
 *     the wrangler parent (the whole process group), and checks they are gone;
 *  3. starts `wrangler dev` again on the SAME persist dir and watches the job's D1 index
 *     row (the listing, which does not wake the job's object) for up to 30 s: if it
 *     moves, the job's own alarm resumed it; if not, one GET of the job (which re-arms
 *     a lost alarm on the object's first request) resumes it. Reports which happened;
 *  4. uploads the same bytes again as a second job on the restarted server and lets it
 *     finish uninterrupted;
 *  5. compares the two documents: characters, chunk count, content hash, and every
 *     chunk's (ordinal, charStart, charEnd, contentHash) from
 *     GET /documents/{id}/chunks (limit=100, all pages); also the first job's event
 *     log (seq 1..n with no gaps). Prints PASS/FAIL; exits 1 on FAIL.
 *
 * `--scenario batch` kills an upload batch and a urls batch mid-way
 * (scripts/lib/crash-batch.mjs); `--scenario harvest` an arXiv harvest against the fake
 * arXiv (scripts/lib/crash-harvest.mjs). The default scenario, `job`, is the one above.
 *
 *   npm run crash-recovery -- [--quick] [--port 8941] [--scenario job|batch|harvest]
 *
 * Writes bench/out/crash-recovery.json (crash-recovery-<scenario>.json for the others).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runChecks } from "./lib/check-run.mjs";
import { freePort, startDev, token, upload, waitForJob } from "./lib/dev-server.mjs";
import { markdown } from "../bench/lib/corpus.mjs";
import { allChunks, getJson } from "../bench/lib/jobs.mjs";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    port: { type: "string" },
    scenario: { type: "string", default: "job" },
  },
});
const PROJECT = "crash-recovery";
const SIZE = (args.quick ? 8 : 30) << 20;
/** A small text job finishes before the kill unless it is deep-scanned (staged over many alarms). */
const UPLOAD = { filename: "big.md", type: "text/markdown", query: args.quick ? { isDeepScan: "true" } : {} };
const RESUME_WAIT_MS = 30_000;
const VARS = { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_HOUR: "1000000" };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);
if (args.scenario !== "job") process.exit(await runScenario(args.scenario));

const persistTo = mkdtempSync(join(tmpdir(), "crash-recovery-"));
const port = Number(args.port ?? 8941);
const bytes = markdown(SIZE, 42);
const t = await token({ sub: "crash-recovery", roles: ["admin"], projects: [PROJECT] });
const jobPath = (id) => `/api/projects/${PROJECT}/ingest/jobs/${id}`;
const result = { quick: args.quick, bytes: bytes.length };
let dev = null;

const exitCode = await runChecks({
  name: "crash-recovery",
  result,
  persistTo,
  body: recover,
  stop: () => dev?.stop(),
  notes: () => [`resumed by: ${result.resumedBy ?? "n/a"}`],
  summary: () => `crash recovery (${(bytes.length / 2 ** 20).toFixed(1)} MiB, killed at ${result.atKill?.stage} ${result.atKill?.progress})`,
  minChecks: 2,
});
process.exit(exitCode);

/** Steps 1-5 of the module comment; `check` records each comparison. */
async function recover(check) {
  // 1. Upload and wait for the job to be partly done.
  dev = await startDev({ port, persistTo, vars: VARS });
  log(`wrangler dev #1 up on ${dev.url} (persist ${persistTo}); uploading ${(bytes.length / 2 ** 20).toFixed(1)} MiB`);
  const created = await upload(dev.url, t, PROJECT, bytes, UPLOAD);
  let job;
  for (;;) {
    job = await getJson(dev.url, t, jobPath(created.id));
    if (job.status === "RUNNING" && job.progress > 0.1) break;
    if (job.status !== "QUEUED" && job.status !== "RUNNING") throw new Error(`job ended ${job.status} before the kill`);
    await sleep(25);
  }
  result.atKill = { stage: job.stage, progress: job.progress, counters: job.counters };
  log(`job ${job.id} ${job.status} ${job.stage} progress ${job.progress}: killing the dev server`);

  // 2. SIGKILL workerd, then the whole wrangler process group.
  const pids = await dev.kill();
  const down = await fetch(`${dev.url}/health`).then(
    () => false,
    () => true,
  );
  log(`killed ${pids.length} processes (${pids.join(", ")}); server down: ${down}`);
  dev = null;

  // 3. Restart on the same state; watch the D1 row without touching the job's object.
  dev = await startDev({ port, persistTo, vars: VARS });
  log("wrangler dev #2 up on the same persist dir; watching the job's index row");
  const before = await listed(dev.url, job.id);
  // Nothing has touched the job's object since the restart: if the row is already final, the alarm did it.
  let resumedBy = before && before.status !== "RUNNING" ? "its own alarm (finished before the first look)" : null;
  const restartAt = Date.now();
  while (!resumedBy && Date.now() - restartAt < RESUME_WAIT_MS) {
    const row = await listed(dev.url, job.id);
    if (row && (row.progress !== before?.progress || row.status !== before?.status)) {
      resumedBy = "its own alarm";
      log(`index row moved after ${Date.now() - restartAt} ms: ${row.status} progress ${row.progress}`);
      break;
    }
    await sleep(250);
  }
  if (!resumedBy) {
    resumedBy = "a GET re-arming the lost alarm";
    log(`no movement in ${RESUME_WAIT_MS / 1000} s; GET the job to re-arm its alarm`);
    await getJson(dev.url, t, jobPath(job.id));
  }
  result.resumedBy = resumedBy;
  const recovered = await waitForJob(dev.url, t, PROJECT, job.id);
  result.recovered = { status: recovered.status, attempts: recovered.attempts, errors: recovered.errors, ms: Date.now() - restartAt };
  log(`interrupted job ${recovered.status} ${Date.now() - restartAt} ms after the restart (attempts ${recovered.attempts})`);

  // 4. The same bytes, never interrupted.
  const again = await upload(dev.url, t, PROJECT, bytes, UPLOAD);
  const reference = await waitForJob(dev.url, t, PROJECT, again.id);
  log(`reference job ${reference.status}`);

  // 5. Compare.
  check("interrupted job completed", recovered.status === "COMPLETED", `${recovered.status}`);
  check("reference job completed", reference.status === "COMPLETED", `${reference.status}`);
  if (recovered.status === "COMPLETED" && reference.status === "COMPLETED") {
    const docPath = (id) => `/api/projects/${PROJECT}/documents/${id}`;
    const [a, b] = await Promise.all([
      getJson(dev.url, t, docPath(recovered.canonicalDocumentId)),
      getJson(dev.url, t, docPath(reference.canonicalDocumentId)),
    ]);
    check("content hash", a.contentHash === b.contentHash, `${a.contentHash} vs ${b.contentHash}`);
    check("character count", a.characterCount === b.characterCount, `${a.characterCount} vs ${b.characterCount}`);
    check("chunk count", a.chunkCount === b.chunkCount, `${a.chunkCount} vs ${b.chunkCount}`);
    const [ca, cb] = await Promise.all([allChunks(dev.url, t, PROJECT, a.id), allChunks(dev.url, t, PROJECT, b.id)]);
    check("listed chunks = chunkCount", ca.length === a.chunkCount && cb.length === b.chunkCount, `${ca.length} and ${cb.length} listed`);
    check(
      "ordinals 0..n-1",
      ca.every((c, i) => c.ordinal === i),
      `${ca.length} chunks`,
    );
    const key = (c) => `${c.ordinal}:${c.charStart}:${c.charEnd}:${c.contentHash}`;
    const diff = ca.findIndex((c, i) => !cb[i] || key(c) !== key(cb[i]));
    check("chunk hashes and extents", diff < 0 && ca.length === cb.length, diff < 0 ? "all equal" : `first difference at ordinal ${diff}`);
    const events = await getJson(dev.url, t, `${jobPath(job.id)}/events`);
    const gap = events.items.findIndex((e, i) => e.seq !== i + 1);
    check("event log seq 1..n, no gaps", gap < 0, `${events.items.length} events, lastSeq ${events.lastSeq}`);
    result.documents = { interrupted: a, reference: b };
  }
}

/** The job's row in the D1 listing (reading it does not wake the job's Durable Object). */
async function listed(url, jobId) {
  try {
    const page = await getJson(url, t, `/api/projects/${PROJECT}/ingest/jobs?limit=10`);
    return page.items.find((j) => j.id === jobId) ?? null;
  } catch {
    return null;
  }
}

/** A batch or harvest scenario: same server handling, checks and PASS/FAIL line as the job's. */
async function runScenario(name) {
  const scenarios = {
    batch: async () => (await import("./lib/crash-batch.mjs")).batchScenario,
    harvest: async () => (await import("./lib/crash-harvest.mjs")).harvestScenario,
  };
  if (!scenarios[name]) {
    console.error(`unknown scenario ${name}: job, batch or harvest`);
    return 2;
  }
  const persistTo = mkdtempSync(join(tmpdir(), `crash-recovery-${name}-`));
  const result = { scenario: name, quick: args.quick };
  let summary = name;
  return runChecks({
    name: `crash-recovery-${name}`,
    result,
    body: async (check) => {
      const t = await token({ sub: "crash-recovery", roles: ["admin"], projects: ["crash-batch", "crash-harvest"] });
      const port = args.port ? Number(args.port) : await freePort();
      summary = await (await scenarios[name]())({ quick: args.quick, port, persistTo, t, check, log, result, vars: VARS });
    },
    // No `stop`: the scenario stops its own servers.
    persistTo,
    summary: () => summary,
    minChecks: 2,
  });
}
