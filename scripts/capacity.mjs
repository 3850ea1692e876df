/**
 * `npm run capacity`: measures what one job costs each component, from a real local run,
 * for docs/capacity.md. Starts `wrangler dev` (two D1 shards, own --persist-to dir) with
 * `TRACE_COSTS=true`, so the Worker and its objects print one `COST {...}` line per
 * billable operation (src/capacity/cost-trace.ts): Worker invocations, Durable Object
 * requests (RPC calls, fetches, alarms) per class, D1 statements (read/write) per shard,
 * R2 operations (class A/B) and queue messages. Bytes come from the state on disk: D1
 * pages in use and R2 object sizes, before and after each scenario.
 *
 * Scenarios (each in its own project): jobs of three sizes run to completion, jobs
 * cancelled right after their create, the three API reads (a list page, a document,
 * a chunks page), and the retention purge of every job of the run (docs/retention.md):
 * `RETENTION_DAYS` is a few seconds here, and the purge starts when the run fires the
 * cron trigger, as Cloudflare does every 15 minutes. A scenario waits for its jobs by reading the local D1 files, never
 * through the API, so polling costs nothing; then until no cost line came for 2 s.
 *
 *   npm run capacity [-- --quick] [-- --port 8951]
 *
 * Prints a table per job / per read and the formulas' inputs; writes bench/out/capacity.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { markdown } from "../bench/lib/corpus.mjs";
import { startDev, token, upload } from "./lib/dev-server.mjs";
import { d1Bytes, d1Rows, eachD1, r2Objects } from "./lib/local-state.mjs";

const { values: args } = parseArgs({ options: { quick: { type: "boolean", default: false }, port: { type: "string", default: "8951" } } });
/** Retention in this run: 0.0001 days is 8.6 s, so the jobs of the run are past it within seconds. */
const RETENTION_DAYS = 0.0001;
const VARS = { TRACE_COSTS: "true", RATE_LIMIT_PROJECT_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_HOUR: "1000000", RETENTION_DAYS: String(RETENTION_DAYS) };
/** Small jobs created for the purge on top of the scenarios' own. */
const PURGE_JOBS = args.quick ? 100 : 500;
const KIB = 1024;
const SCENARIOS = [
  { name: "small (4 KiB)", jobs: 10, bytes: 4 * KIB },
  { name: "medium (256 KiB)", jobs: 5, bytes: 256 * KIB },
  { name: "large (2 MiB)", jobs: args.quick ? 1 : 3, bytes: (args.quick ? 1 : 2) * 1024 * KIB },
  // Big enough that the cancel lands while the job runs.
  { name: "cancelled (8 MiB)", jobs: 3, bytes: 8 * 1024 * KIB, cancel: true },
];
const READS = 20;
const FINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Bytes of chunk text held in D1 (zero once chunks live outside D1). */
function chunkTextBytes(persistTo) {
  return eachD1(persistTo, (db) => {
    const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chunks'").get();
    const cols = has
      ? db
          .prepare("PRAGMA table_info(chunks)")
          .all()
          .map((c) => c.name)
      : [];
    return cols.includes("text") ? Number(db.prepare("SELECT coalesce(sum(length(CAST(text AS BLOB))), 0) AS n FROM chunks").get().n) : 0;
  }).reduce((a, b) => a + b, 0);
}

const costs = [];
let lastCostAt = Date.now();
function onLine(line) {
  const at = line.indexOf("COST {");
  if (at < 0) return;
  costs.push(JSON.parse(line.slice(at + 5)));
  lastCostAt = Date.now();
}

/** Cost lines since `from`, tallied by component. */
function tally(from) {
  const t = { workerFetch: 0, workerQueue: 0, do: {}, doTotal: 0, d1Read: 0, d1Write: 0, d1ByShard: {}, r2A: 0, r2B: 0, r2Ops: {}, queueMessages: 0 };
  for (const c of costs.slice(from)) {
    if (c.c === "worker" && c.op === "fetch") t.workerFetch++;
    if (c.c === "worker" && c.op === "queue") t.workerQueue++;
    if (c.c === "do") {
      const k = `${c.cls}.${c.op}`;
      t.do[k] = (t.do[k] ?? 0) + 1;
      t.doTotal++;
    }
    if (c.c === "d1") {
      if (c.kind === "write") t.d1Write++;
      else t.d1Read++;
      t.d1ByShard[c.shard] = (t.d1ByShard[c.shard] ?? 0) + 1;
    }
    if (c.c === "r2") {
      if (c.cls === "A") t.r2A++;
      else t.r2B++;
      t.r2Ops[c.op] = (t.r2Ops[c.op] ?? 0) + 1;
    }
    if (c.c === "queue") t.queueMessages += c.messages;
  }
  return t;
}

function perUnit(t, n) {
  const d = (x) => Math.round((x / n) * 100) / 100;
  return {
    workerInvocations: d(t.workerFetch + t.workerQueue),
    doRequests: d(t.doTotal),
    doByOp: Object.fromEntries(Object.entries(t.do).map(([k, v]) => [k, d(v)])),
    d1Statements: d(t.d1Read + t.d1Write),
    d1Reads: d(t.d1Read),
    d1Writes: d(t.d1Write),
    r2ClassA: d(t.r2A),
    r2ClassB: d(t.r2B),
    r2Ops: Object.fromEntries(Object.entries(t.r2Ops).map(([k, v]) => [k, d(v)])),
    events: d(t.queueMessages),
  };
}

async function quiet(ms = 2_000) {
  while (Date.now() - lastCostAt < ms) await sleep(200);
}

/**
 * Creates `PURGE_JOBS` small jobs, waits until every job of the run is past its retention,
 * fires the cron trigger (`/cdn-cgi/local/scheduled`, which `wrangler dev` serves) and waits
 * until no job row is left: the purge's cost per 1,000 jobs, from the cost lines between.
 */
async function measurePurge(dev) {
  const project = "capacity-purge";
  const t = await token({ sub: "capacity", roles: ["admin"], projects: [project] });
  const queue = Array.from({ length: PURGE_JOBS }, (_, n) => n);
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
        await upload(dev.url, t, project, markdown(4 * KIB, 9000 + n), { filename: `p${n}.md`, type: "text/markdown" });
      }
    }),
  );
  const rows = () => d1Rows(persistTo, "SELECT status, updated_at FROM jobs");
  for (const started = Date.now(); ; await sleep(200)) {
    const all = rows();
    if (all.length >= PURGE_JOBS && all.every((r) => FINAL.has(r.status))) break;
    if (Date.now() - started > 900_000) throw new Error("purge: jobs not finished after 15 min");
  }
  const newest = Math.max(...rows().map((r) => r.updated_at));
  await sleep(Math.max(0, newest + RETENTION_DAYS * 86_400_000 + 1_000 - Date.now()));
  await quiet();
  const jobs = rows().length;
  const from = costs.length;
  const started = Date.now();
  const res = await fetch(`${dev.url}/cdn-cgi/local/scheduled`);
  if (!res.ok) throw new Error(`the cron trigger answered ${res.status}`);
  while (rows().length > 0) {
    if (Date.now() - started > 900_000) throw new Error(`purge: ${rows().length} job rows left after 15 min`);
    await sleep(100);
  }
  const wallMs = Date.now() - started;
  await quiet();
  const t1 = tally(from);
  const purgerAlarms = t1.do["RetentionPurger.alarm"] ?? 0;
  console.log(`purge: ${jobs} jobs in ${wallMs} ms, ${purgerAlarms} purger alarms`);
  return { jobs, wallMs, wallMsPer1000: Math.round((wallMs * 1000) / jobs), purgerAlarms, per1000: perUnit(t1, jobs / 1000) };
}

const persistTo = mkdtempSync(join(tmpdir(), "capacity-"));
const port = Number(args.port);
const result = { quick: args.quick, shards: 2, scenarios: [], reads: {}, purge: null };
let dev = null;
try {
  dev = await startDev({ port, persistTo, vars: VARS, onLine });
  console.log(`wrangler dev up on ${dev.url} (persist ${persistTo}), cost tracing on`);
  await quiet(1_000);
  let docSample = null;

  for (const [i, s] of SCENARIOS.entries()) {
    const project = `capacity-${i}`;
    const t = await token({ sub: "capacity", roles: ["admin"], projects: [project] });
    const from = costs.length;
    const d1Before = d1Bytes(persistTo);
    const chunksBefore = chunkTextBytes(persistTo);
    const r2Before = r2Objects(persistTo).reduce((a, o) => a + o.size, 0);
    const started = Date.now();
    const jobs = await Promise.all(
      Array.from({ length: s.jobs }, async (_, n) => {
        const bytes = markdown(s.bytes, 100 * i + n + 1);
        const job = await upload(dev.url, t, project, bytes, { filename: `c${n}.md`, type: "text/markdown" });
        if (s.cancel) {
          await fetch(`${dev.url}/api/projects/${project}/ingest/jobs/${job.id}/cancel`, { method: "POST", headers: { Authorization: `Bearer ${t}` } });
        }
        return job;
      }),
    );
    const ids = jobs.map((j) => j.id);
    for (;;) {
      const rows = d1Rows(persistTo, `SELECT id, status FROM jobs WHERE id IN (${ids.map(() => "?").join(",")})`, ...ids);
      if (rows.length === ids.length && rows.every((r) => FINAL.has(r.status))) break;
      if (Date.now() - started > 900_000) throw new Error(`${s.name}: jobs not finished after 15 min`);
      await sleep(100);
    }
    const wallMs = Date.now() - started;
    await quiet();
    const t1 = tally(from);
    const per = perUnit(t1, s.jobs);
    const statuses = d1Rows(persistTo, `SELECT status FROM jobs WHERE id IN (${ids.map(() => "?").join(",")})`, ...ids).map((r) => r.status);
    const entry = {
      name: s.name,
      jobs: s.jobs,
      bytesPerJob: s.bytes,
      statuses,
      wallMs,
      perJob: per,
      d1BytesPerJob: Math.round((d1Bytes(persistTo) - d1Before) / s.jobs),
      d1ChunkTextBytesPerJob: Math.round((chunkTextBytes(persistTo) - chunksBefore) / s.jobs),
      r2BytesPerJob: Math.round((r2Objects(persistTo).reduce((a, o) => a + o.size, 0) - r2Before) / s.jobs),
    };
    result.scenarios.push(entry);
    console.log(`${s.name}: ${s.jobs} jobs ${[...new Set(statuses)].join("/")} in ${wallMs} ms; per job ${JSON.stringify(per)}`);
    if (!s.cancel && !docSample) {
      const job = await (await fetch(`${dev.url}/api/projects/${project}/ingest/jobs/${ids[0]}`, { headers: { Authorization: `Bearer ${t}` } })).json();
      docSample = { project, t, documentId: job.canonicalDocumentId };
    }
  }

  // The API reads, one kind at a time.
  const { project, t, documentId } = docSample;
  const auth = { headers: { Authorization: `Bearer ${t}` } };
  for (const [name, path] of [
    ["list page", `/api/projects/${project}/ingest/jobs?limit=50`],
    ["document", `/api/projects/${project}/documents/${documentId}`],
    ["chunks page", `/api/projects/${project}/documents/${documentId}/chunks?limit=100`],
  ]) {
    await quiet(500);
    const from = costs.length;
    for (let n = 0; n < READS; n++) {
      const res = await fetch(`${dev.url}${path}`, auth);
      if (res.status !== 200) throw new Error(`${name}: ${res.status}`);
      await res.arrayBuffer();
    }
    await quiet(1_000);
    result.reads[name] = perUnit(tally(from), READS);
    console.log(`${name}: per read ${JSON.stringify(result.reads[name])}`);
  }
  result.purge = await measurePurge(dev);
} finally {
  if (dev) await dev.stop();
  rmSync(persistTo, { recursive: true, force: true });
}

console.log(
  "\n| scenario | jobs (final status) | Worker inv. | DO requests (IngestJob / hub / limiter) | D1 statements (writes) | R2 A / B | events | D1 bytes (of which chunk text) | R2 bytes |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const s of result.scenarios) {
  const p = s.perJob;
  const sum = (prefix) =>
    Object.entries(p.doByOp)
      .filter(([k]) => k.startsWith(prefix))
      .reduce((a, [, v]) => a + v, 0);
  console.log(
    `| ${s.name} | ${s.jobs} (${[...new Set(s.statuses)].join("/")}) | ${p.workerInvocations} | ${p.doRequests} (${+sum("IngestJob").toFixed(2)} / ${+sum("ProjectHub").toFixed(2)} / ${+sum("RateLimiter").toFixed(2)}) | ${p.d1Statements} (${p.d1Writes}) | ${p.r2ClassA} / ${p.r2ClassB} | ${p.events} | ${s.d1BytesPerJob} (${s.d1ChunkTextBytesPerJob}) | ${s.r2BytesPerJob} |`,
  );
}
console.log("\n| read | Worker inv. | DO requests | D1 statements | R2 A / B |");
console.log("| --- | --- | --- | --- | --- |");
for (const [name, p] of Object.entries(result.reads)) {
  console.log(`| ${name} | ${p.workerInvocations} | ${p.doRequests} | ${p.d1Statements} | ${p.r2ClassA} / ${p.r2ClassB} |`);
}
if (result.purge) {
  const p = result.purge.per1000;
  const objectCalls = Object.entries(p.doByOp)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  console.log(
    `\nRetention purge of ${result.purge.jobs} jobs, per 1,000 jobs (wall ${result.purge.wallMsPer1000} ms per 1,000; ${result.purge.purgerAlarms} purger alarms):`,
  );
  console.log("| D1 statements (reads / writes) | object calls | R2 deletes | wall |");
  console.log("| --- | --- | --- | --- |");
  console.log(
    `| ${p.d1Statements} (${p.d1Reads} / ${p.d1Writes}) | ${p.doRequests} (${objectCalls}) | ${p.r2Ops.delete ?? 0} | ${(result.purge.wallMsPer1000 / 1000).toFixed(1)} s |`,
  );
}
mkdirSync(new URL("../bench/out/", import.meta.url), { recursive: true });
writeFileSync(new URL("../bench/out/capacity.json", import.meta.url), JSON.stringify(result, null, 2));
console.log("\nwrote bench/out/capacity.json");
