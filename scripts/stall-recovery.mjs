/**
 * No job left behind, proved outside the test runner: jobs whose dev server is killed
 * mid-pipeline, and whose alarms are then lost from storage, all finish after a restart
 * without anyone reading them, because their project hub nudges them.
 *
 *  1. starts `wrangler dev` (own --persist-to dir, `STALL_AFTER_MS` a few seconds) and
 *     uploads JOBS Markdown files into one project;
 *  2. once every job is RUNNING, SIGKILLs workerd and the wrangler process group (a
 *     deploy-like restart, at its worst);
 *  3. while the server is down, deletes the pending alarm of every job object from its
 *     SQLite file on disk (`--keep-alarms` skips this): the storage fault a deploy or a
 *     runtime bug can cause; with `--lose-hub-alarms`, the project hub's alarm too, so the
 *     hub's stall watch cannot help either;
 *  4. restarts `wrangler dev` on the same persist dir and polls only the D1 listing (which
 *     wakes no job object) until every job has ended, counting the Worker's
 *     "job re-armed by its project hub" log lines. A GET of a job would re-arm it on its
 *     own, so nothing here reads a job. With `--lose-hub-alarms` it fires the cron trigger
 *     once after the restart (as Cloudflare does every 15 minutes): the D1 shard's
 *     retention purger sweeps the silent rows and nudges the jobs and their hub.
 *
 * PASS when every job is COMPLETED. Prints how each was resumed.
 *
 *   npm run stall-recovery -- [--quick] [--keep-alarms | --lose-hub-alarms]
 *
 * Writes bench/out/stall-recovery.json.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runChecks } from "./lib/check-run.mjs";
import { freePort, startDev, token, upload } from "./lib/dev-server.mjs";
import { markdown } from "../bench/lib/corpus.mjs";
import { getJson } from "../bench/lib/jobs.mjs";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "keep-alarms": { type: "boolean", default: false },
    "lose-hub-alarms": { type: "boolean", default: false },
  },
});
const PROJECT = "stall-recovery";
const JOBS = args.quick ? 4 : 8;
const SIZE = (args.quick ? 24 : 32) << 20;
const STALL_AFTER_MS = 4_000;
const FINISH_WITHIN_MS = 180_000;
const VARS = {
  RATE_LIMIT_PROJECT_PER_MINUTE: "1000000",
  RATE_LIMIT_USER_PER_HOUR: "1000000",
  STALL_AFTER_MS: String(STALL_AFTER_MS),
  // The kill waits for progress in the listing. A job runs in a few seconds, less than the
  // default 5 s between its index row's progress writes, so by default its row can go from
  // 0 straight to COMPLETED.
  INDEX_PROGRESS_INTERVAL_MS: "500",
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);

const persistTo = mkdtempSync(join(tmpdir(), "stall-recovery-"));
const port = await freePort();
const t = await token({ sub: "stall-recovery", roles: ["admin"], projects: [PROJECT] });
const result = {
  quick: args.quick,
  jobs: JOBS,
  bytesPerJob: SIZE,
  stallAfterMs: STALL_AFTER_MS,
  alarmsDeleted: 0,
  hubAlarmsDeleted: 0,
  rearmed: [],
  swept: 0,
};
const rearmed = new Set();
let swept = 0;
let dev = null;

const exitCode = await runChecks({
  name: "stall-recovery",
  result,
  persistTo,
  body: stallAndRecover,
  stop: () => dev?.stop(),
  summary: () =>
    `stall recovery (${JOBS} jobs, ${result.alarmsDeleted} job alarms and ${result.hubAlarmsDeleted} hub alarms deleted, ${rearmed.size} re-armed, ${swept} sweep nudges)`,
});
process.exit(exitCode);

/** Steps 1-4 of the module comment; `check` records what the run shows. */
async function stallAndRecover(check) {
  dev = await startDev({ port, persistTo, vars: VARS });
  log(`wrangler dev #1 up on ${dev.url}; uploading ${JOBS} × ${(SIZE / 2 ** 20).toFixed(0)} MiB`);
  const files = Array.from({ length: JOBS }, (_, i) => markdown(SIZE, 100 + i));
  // Uploads in flight when the server dies fail on the client; the jobs they did create
  // are in the listing after the restart and must finish like the others.
  // Deep-scanned: staged over many alarms (a text job written straight through can end
  // within one or two), so the kill finds jobs whose next alarm is pending.
  const uploads = files.map((bytes, i) =>
    upload(dev.url, t, PROJECT, bytes, { filename: `doc-${i}.md`, type: "text/markdown", query: { isDeepScan: "true" } }).catch(() => null),
  );
  let atKill = new Map();
  for (;;) {
    atKill = await listed(dev.url);
    if ([...atKill.values()].some((j) => j.status === "RUNNING" && j.progress > 0.05)) break;
    if (atKill.size === JOBS && [...atKill.values()].every((j) => j.status !== "QUEUED" && j.status !== "RUNNING"))
      throw new Error("every job ended before the kill: nothing was left to recover");
    await sleep(50);
  }
  const mine = [...atKill.values()];
  result.atKill = mine.map((j) => ({ id: j.id, status: j.status, stage: j.stage, progress: j.progress }));
  log(`listed at the kill: ${mine.map((j) => `${j.status} ${j.stage} ${j.progress}`).join("; ")}: killing the dev server`);
  const pids = await dev.kill();
  dev = null;
  await Promise.all(uploads);
  log(`killed ${pids.length} processes`);

  if (!args["keep-alarms"]) {
    result.alarmsDeleted = deleteAlarms(persistTo, "IngestJob");
    log(`deleted ${result.alarmsDeleted} pending job alarms from storage`);
  }
  if (args["lose-hub-alarms"]) {
    result.hubAlarmsDeleted = deleteAlarms(persistTo, "ProjectHub");
    log(`deleted ${result.hubAlarmsDeleted} pending project hub alarms from storage`);
  }

  // Timed from the restart's start: the hub's alarm may fire while wrangler is still starting.
  const restartAt = Date.now();
  dev = await startDev({
    port,
    persistTo,
    vars: VARS,
    onLine: (line) => {
      const nudged = line.match(/"msg":"retention sweep nudged silent jobs".*"jobs":(\d+)/);
      if (nudged) swept += Number(nudged[1]);
      if (!line.includes("job re-armed by its project hub")) return;
      const m = line.match(/"jobId":"([^"]+)"/);
      if (m) rearmed.add(m[1]);
    },
  });
  log("wrangler dev #2 up on the same persist dir; watching the D1 listing only");
  if (args["lose-hub-alarms"]) {
    const res = await fetch(`${dev.url}/cdn-cgi/local/scheduled`);
    log(`fired the cron trigger (${res.status}): every shard's retention purger is woken`);
  }
  let rows = new Map();
  let ids = [];
  while (Date.now() - restartAt < FINISH_WITHIN_MS) {
    rows = await listed(dev.url);
    ids = [...rows.keys()];
    if (ids.length > 0 && ids.every((id) => rows.get(id).status !== "QUEUED" && rows.get(id).status !== "RUNNING")) break;
    await sleep(500);
  }
  result.finishedMs = Date.now() - restartAt;
  result.rearmed = [...rearmed];
  result.swept = swept;
  result.statuses = Object.fromEntries(ids.map((id) => [id, rows.get(id).status]));
  const completed = ids.filter((id) => rows.get(id).status === "COMPLETED").length;
  const active = result.atKill.filter((j) => j.status === "QUEUED" || j.status === "RUNNING").length;
  check("jobs were unfinished at the kill", active > 0, `${active} QUEUED or RUNNING in the listing, ${ids.length} created in all`);
  check(
    "every job created completed",
    completed === ids.length,
    `${completed} of ${ids.length} COMPLETED ${(result.finishedMs / 1000).toFixed(1)} s after the restart`,
  );
  if (args["lose-hub-alarms"]) {
    check("the hub's alarm was lost too", result.hubAlarmsDeleted > 0, `${result.hubAlarmsDeleted} hub alarms deleted`);
    check("the retention sweep nudged the silent jobs", swept > 0, `${swept} nudges by the sweep, ${rearmed.size} jobs re-armed`);
  } else if (!args["keep-alarms"]) {
    // Without lost alarms the restart alone would finish the jobs: the run proves nothing.
    check("job alarms were lost at the kill", result.alarmsDeleted > 0, `${result.alarmsDeleted} job alarms deleted from storage`);
    check("the hub re-armed the jobs whose alarms were lost", rearmed.size > 0, `${rearmed.size} re-armed by the hub`);
  }
}

/** The project's jobs in the D1 listing, by id (reading it wakes no job object). */
async function listed(url) {
  try {
    const page = await getJson(url, t, `/api/projects/${PROJECT}/ingest/jobs?limit=100`);
    return new Map(page.items.map((j) => [j.id, j]));
  } catch {
    return new Map();
  }
}

/**
 * Deletes the pending alarm of every object of `className` from disk: Miniflare keeps the
 * alarms of a class in `_cf_ALARM` of the class's metadata.sqlite, workerd an object's
 * own in `_cf_METADATA` of its SQLite file. Returns how many objects had one.
 */
function deleteAlarms(dir, className) {
  const objects = join(dir, "v3", "do");
  const classDir = existsSync(objects) ? readdirSync(objects).find((d) => d.endsWith(className)) : undefined;
  if (!classDir) throw new Error(`no ${className} objects under ${objects}`);
  const sql = (file, statements) => execFileSync("sqlite3", [join(objects, classDir, file), statements], { encoding: "utf8" }).trim();
  for (const file of readdirSync(join(objects, classDir)).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")) {
    sql(file, "DELETE FROM _cf_METADATA;");
  }
  return Number(sql("metadata.sqlite", "DELETE FROM _cf_ALARM; SELECT changes();")) || 0;
}
