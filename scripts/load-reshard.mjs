/**
 * `npm run load -- --reshard` (or `npm run load:reshard`): a load that runs while the
 * local D1 shards double from 2 to 4 by the plan of docs/sharding.md, through every step:
 *
 *   2 shards → dual write (restart with D1_SHARDS_NEXT) → backfill → verify →
 *   cut-over (restart with D1_SHARDS = 4, D1_SHARDS_PREV = 2) → mirror dropped (restart
 *   with 4 alone) → moved rows deleted from the old shards
 *
 * Creates (each with an Idempotency-Key, retried with it while the server restarts),
 * document deletes and job deletes run the whole time. After each step the load pauses
 * and every project is checked from the API: its job list (all pages) holds exactly the
 * jobs the load created and did not delete, once each; its document list exactly the
 * documents of its completed jobs that the load did not delete; and re-sent
 * Idempotency-Keys answer with the original job. Prints a table of steps and checks and
 * exits 1 when one fails.
 *
 *   npm run load -- --reshard [--projects 16 --concurrency 6 --seconds 8] [--no-mirror]
 *
 * `--no-mirror` is a control: the service never mirrors, so the writes made between the
 * backfill and the cut-over are missing after it, and the run must FAIL.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { applyMigrations, freePort, startDev, token } from "./lib/dev-server.mjs";
import { backfill, cloneEmptyShard, dropMoved, misplacedRows, verify } from "./lib/reshard.mjs";
import { d1Databases, shardIndex } from "./lib/shards.mjs";
import { apiClient } from "./lib/load-api.mjs";

const { values: args } = parseArgs({
  options: {
    reshard: { type: "boolean" },
    projects: { type: "string", default: "16" },
    concurrency: { type: "string", default: "6" },
    /** Seconds of load in each step before its check. */
    seconds: { type: "string", default: "8" },
    port: { type: "string" },
    /** A control run: the dual-write step without D1_SHARDS_NEXT, which the checks must catch. */
    "no-mirror": { type: "boolean" },
  },
});
const PROJECTS = Number(args.projects);
const CONCURRENCY = Number(args.concurrency);
const STEP_MS = Number(args.seconds) * 1000;
const TWO = "DB_0,DB_1";
const FOUR = "DB_0,DB_1,DB_2,DB_3";
const BASE_VARS = { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_HOUR: "1000000" };

const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const persistTo = mkdtempSync(join(tmpdir(), "load-reshard-"));
const port = Number(args.port ?? (await freePort()));
const projects = Array.from({ length: PROJECTS }, (_, i) => `reshard-${i}`);
const moving = projects.filter((p) => shardIndex(p, 4) !== shardIndex(p, 2));
const t = await token({ sub: "load-reshard", roles: ["admin"], projects });
let dev = null;
let mirrorFailures = 0;
const api = apiClient(() => dev?.url, t);
const rows = [];

async function start(vars, label) {
  const at = Date.now();
  if (dev) await dev.stop();
  dev = null;
  const onLine = (line) => {
    if (line.includes("mirror write failed")) mirrorFailures++;
  };
  for (let attempt = 1; ; attempt++) {
    try {
      dev = await startDev({ port, persistTo, vars: { ...BASE_VARS, ...vars }, migrate: false, onLine });
      break;
    } catch (err) {
      log(`${label}: start ${attempt} failed: ${err.message.split("\n")[0]}`);
      if (attempt >= 3) throw err;
    }
  }
  log(`${label}: wrangler dev up with ${JSON.stringify(vars)} after ${Date.now() - at} ms`);
}

// The load: workers that create, and now and then delete a document or a job, until told to stop.
const tasks = [];
let paused = false;
let stopped = false;
let inFlight = 0;
const counts = { creates: 0, createRetries: 0, documentDeletes: 0, jobDeletes: 0 };
const workerErrors = [];

async function worker(w) {
  for (let k = 0; !stopped; k++) {
    if (paused) {
      await sleep(50);
      continue;
    }
    inFlight++;
    try {
      const project = projects[(w * 7 + k) % projects.length];
      const task = {
        project,
        n: tasks.length,
        key: `reshard-${project}-${tasks.length}`,
        job: null,
        jobDeleted: false,
        documentId: null,
        documentDeleted: false,
      };
      tasks.push(task);
      const { job, retries } = await api.create(task);
      task.job = job;
      counts.creates++;
      counts.createRetries += retries;
      if (k % 4 === 3) await deleteSomething(k);
    } finally {
      inFlight--;
    }
  }
}

/** Deletes the document (k % 8 = 3) or the job (k % 8 = 7) of an earlier completed job. */
async function deleteSomething(k) {
  const candidates = tasks.filter((x) => x.job && !x.jobDeleted && !x.documentDeleted);
  const task = candidates[(k * 31) % Math.max(1, candidates.length)];
  if (!task) return;
  const job = await api.job(task);
  if (job?.status !== "COMPLETED") return;
  task.documentId = job.canonicalDocumentId;
  if (k % 8 === 3) {
    await api.deleteDocument(task.project, task.documentId);
    task.documentDeleted = true;
    counts.documentDeletes++;
  } else {
    await api.deleteJob(task.project, task.job.id);
    task.jobDeleted = true;
    counts.jobDeletes++;
  }
}

/** Pauses the load, checks every project from the API, and resumes. */
async function checkStep(step, extra = {}) {
  paused = true;
  while (inFlight > 0) await sleep(50);
  const at = Date.now();
  const created = tasks.filter((x) => x.job);
  const expectedJobs = new Map(projects.map((p) => [p, new Set()]));
  for (const x of created) if (!x.jobDeleted) expectedJobs.get(x.project).add(x.job.id);
  // A create answers before its object writes the index row, and small jobs finish in a
  // moment: wait until every list is exact and every job finished, for at most 60 s.
  let lists;
  for (const deadline = Date.now() + 60_000; ; ) {
    lists = await api.compareLists(projects, expectedJobs);
    if ((lists.ok && lists.unfinished === 0) || Date.now() > deadline) break;
    await sleep(500);
  }
  const expectedDocs = new Map(projects.map((p) => [p, new Set()]));
  for (const x of created) {
    const documentId = x.jobDeleted ? x.documentId : lists.documentOf.get(x.job.id);
    if (documentId && !x.documentDeleted) expectedDocs.get(x.project).add(documentId);
  }
  const docs = await api.compareDocuments(projects, expectedDocs);
  // Re-send keys: the first, a middle and the latest live create of every project.
  const replays = [];
  for (const p of projects) {
    const mine = created.filter((x) => x.project === p && !x.jobDeleted);
    for (const x of new Set([mine[0], mine[mine.length >> 1], mine[mine.length - 1]])) if (x) replays.push(x);
  }
  const replayed = await api.replay(replays);
  const row = {
    step,
    jobs: `${lists.listed}/${lists.expected}`,
    "jobs lost/dup/extra": `${lists.lost}/${lists.duplicated}/${lists.extra}`,
    unfinished: lists.unfinished,
    documents: `${docs.listed}/${docs.expected}`,
    "docs lost/dup/extra": `${docs.lost}/${docs.duplicated}/${docs.extra}`,
    "keys → same job": `${replayed.same}/${replays.length}`,
    detail: extra.detail ?? "",
  };
  row.result = lists.ok && lists.unfinished === 0 && docs.ok && replayed.same === replays.length && extra.ok !== false ? "PASS" : "FAIL";
  rows.push(row);
  log(`check "${step}" ${row.result} in ${Date.now() - at} ms: ${JSON.stringify(row)}`);
  if (lists.unfinished) log(`${lists.unfinished} listed jobs not finished (their rows stopped updating?)`);
  paused = false;
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    stopped = true;
    await dev?.stop();
    rmSync(persistTo, { recursive: true, force: true });
    process.exit(130);
  });
}

const figures = {};
try {
  // Four databases from the start, migrated (the new two stay empty until the reshard):
  // the first by wrangler, the others as copies of it (the same file, seconds sooner).
  const [first, ...others] = d1Databases().slice(0, 4);
  await applyMigrations(persistTo, [first]);
  cloneEmptyShard(persistTo, first, others);
  await start({ D1_SHARDS: TWO }, "2 shards");
  log(`${PROJECTS} projects, ${moving.length} of them move (shard i → i + 2); ${CONCURRENCY} workers`);
  // A worker that fails (an answer no retry fixes) stops; the failure is reported below.
  const workers = Array.from({ length: CONCURRENCY }, (_, w) =>
    worker(w).catch((err) => {
      workerErrors.push(String(err?.message ?? err).slice(0, 300));
    }),
  );

  await sleep(STEP_MS);
  await checkStep("2 shards");

  await start(args["no-mirror"] ? { D1_SHARDS: TWO } : { D1_SHARDS: TWO, D1_SHARDS_NEXT: FOUR }, "dual write");
  await sleep(STEP_MS);
  await checkStep("dual write");

  // The backfill and the verify run while the load goes on.
  let at = Date.now();
  const [filled] = await Promise.all([
    backfill({ persistTo, from: TWO, to: FOUR, cursorPath: join(persistTo, "reshard-backfill.json") }).then((stats) => {
      figures.backfillMs = Date.now() - at;
      return stats;
    }),
    sleep(STEP_MS),
  ]);
  figures.backfill = filled;
  log(
    `backfill: ${filled.projects} projects, ${filled.pages} pages, copied ${JSON.stringify(filled.copied)}, pruned ${JSON.stringify(filled.pruned)} in ${figures.backfillMs} ms`,
  );
  await checkStep("backfill", {
    detail: `backfill: ${Object.values(filled.copied).reduce((a, b) => a + b, 0)} rows in ${filled.pages} pages, ${figures.backfillMs} ms`,
  });

  at = Date.now();
  let report = await verify({ persistTo, from: TWO, to: FOUR });
  figures.verifyMs = Date.now() - at;
  figures.verifyProjects = report.projects;
  figures.verifyMismatches = report.mismatches.length;
  for (const m of report.mismatches) log(`verify: differs ${JSON.stringify(m)}`);
  if (report.mismatches.length) {
    // The documented remedy: backfill those projects again, then verify.
    await backfill({ persistTo, from: TWO, to: FOUR, projects: [...new Set(report.mismatches.map((m) => m.project))] });
    report = await verify({ persistTo, from: TWO, to: FOUR });
  }
  log(`verify: ${report.projects} projects, rows ${JSON.stringify(report.rows)}, ${report.mismatches.length} differ, in ${figures.verifyMs} ms`);
  await checkStep("verify", {
    detail: `verify: ${report.projects} projects, ${report.mismatches.length} differ, ${figures.verifyMs} ms`,
    ok: report.mismatches.length === 0,
  });
  // Writes between the verify and the cut-over reach the next shards only through the mirror.
  await sleep(STEP_MS);

  await start({ D1_SHARDS: FOUR, D1_SHARDS_PREV: TWO }, "cut-over");
  await sleep(STEP_MS);
  await checkStep("cut-over");

  await start({ D1_SHARDS: FOUR }, "mirror dropped");
  at = Date.now();
  const dropped = await dropMoved({ persistTo, from: TWO, to: FOUR });
  figures.dropMs = Date.now() - at;
  log(`moved rows deleted from the old shards: ${JSON.stringify(dropped)} in ${figures.dropMs} ms`);
  await sleep(STEP_MS);
  stopped = true;
  await Promise.all(workers);
  const misplaced = misplacedRows({ persistTo, list: FOUR, projects });
  await checkStep("old rows dropped", {
    detail: `drop: ${Object.values(dropped).reduce((a, b) => a + b, 0)} old rows deleted; ${misplaced} rows off their shard`,
    ok: misplaced === 0,
  });
} catch (err) {
  rows.push({ step: "error", result: "FAIL", error: String(err?.stack ?? err).slice(0, 500) });
  console.error(err);
} finally {
  stopped = true;
  if (dev) await dev.stop();
  rmSync(persistTo, { recursive: true, force: true });
}

if (workerErrors.length) rows.push({ step: "load", result: "FAIL", detail: workerErrors.join("; ") });
console.log("");
console.table(rows);
console.log(
  `load: ${counts.creates} creates (${counts.createRetries} retried), ${counts.documentDeletes} document deletes, ${counts.jobDeletes} job deletes; ${moving.length}/${PROJECTS} projects moved; mirror write failures logged: ${mirrorFailures}`,
);
console.log(
  `backfill ${figures.backfillMs ?? "n/a"} ms, verify ${figures.verifyMs ?? "n/a"} ms, drop ${figures.dropMs ?? "n/a"} ms, total ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
const pass = rows.length > 0 && rows.every((r) => r.result === "PASS");
console.log(`${pass ? "PASS" : "FAIL"}: load with a reshard from 2 to 4 shards`);
process.exit(pass ? 0 : 1);
