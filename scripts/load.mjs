/**
 * `npm run load`: a load test with faults against local `wrangler dev` with two D1
 * shards. 50 projects × 20 jobs (mixed sizes, some cancelled) are created concurrently,
 * each with an Idempotency-Key, while the runtime is SIGKILLed and restarted on the same
 * state twice mid-run (as scripts/crash-recovery.mjs does). A create that fails on the
 * dead server is retried with the same key. Then it checks:
 *
 *  - every job reaches a terminal state (a job the kill left without an alarm is re-armed
 *    by its first GET, as documented for crash recovery);
 *  - every project's list (all pages) returns exactly that project's jobs, once each;
 *  - every index row agrees with its object (status, stage, progress, updatedAt);
 *  - every document's chunks are `text.slice(charStart, charEnd)` and equal those of an
 *    uninterrupted run of the same bytes (a reference project, run after the faults);
 *  - nothing is orphaned: every R2 object (source, text, chunk table) belongs to a job or
 *    its document, every D1 document row to a completed job (and, where chunks are still
 *    D1 rows, every chunk row to a document).
 *
 * Loopback only; stops by itself (a global deadline). Prints counts and times; writes
 * bench/out/load.json; exits 1 when a check fails.
 *
 *   npm run load [-- --projects 50 --jobs 20 --port 8961]
 *   npm run load -- --reshard [...]   the load while the shards double (scripts/load-reshard.mjs)
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { markdown } from "../bench/lib/corpus.mjs";
import { allChunks, getJson } from "../bench/lib/jobs.mjs";
import { startDev, token } from "./lib/dev-server.mjs";
import { d1Rows, r2Objects } from "./lib/local-state.mjs";
import { d1Shards, shardIndex } from "./lib/shards.mjs";

// The reshard load is its own script; it exits when done.
if (process.argv.includes("--reshard")) await import("./load-reshard.mjs");

const { values: args } = parseArgs({
  options: {
    projects: { type: "string", default: "50" },
    jobs: { type: "string", default: "20" },
    port: { type: "string", default: "8961" },
    concurrency: { type: "string", default: "16" },
  },
});
const PROJECTS = Number(args.projects);
const JOBS = Number(args.jobs);
const CONCURRENCY = Number(args.concurrency);
const DEADLINE = Date.now() + 25 * 60_000;
// A create killed after its upload leaves the upload to its job object's reservation,
// deleted when the reservation expires (10 min by default; 5 s here, so the orphan check
// below can wait for it).
const RESERVATION_MS = 5_000;
const VARS = { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_HOUR: "1000000", SOURCE_RESERVATION_MS: String(RESERVATION_MS) };
const FINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
/** Distinct contents (size, seed): jobs reuse them so a reference run can cover them all. */
const CONTENTS = [1, 8, 32, 128, 512].flatMap((kib, i) => [1, 2, 3].map((seed) => ({ id: `c${i}-${seed}`, bytes: markdown(kib * 1024, 1000 * i + seed) })));
/** Every job whose n % CANCEL_EVERY === 3 gets this larger content and is cancelled right after its create. */
const CANCEL_EVERY = 7;
const CANCELLED_CONTENT = { id: "big", bytes: markdown(1 << 20, 77) };
CONTENTS.push(CANCELLED_CONTENT);
/** Kills after this fraction of the creates have answered. */
const KILL_AT = [0.3, 0.65];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);
const checks = {};
const check = (name, ok, detail) => {
  checks[name] = { ok, detail };
  console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
};

const persistTo = mkdtempSync(join(tmpdir(), "load-"));
const port = Number(args.port);
const projects = Array.from({ length: PROJECTS }, (_, i) => `load-${i}`);
const REFERENCE = "load-reference";
const t = await token({ sub: "load", roles: ["admin"], projects: [...projects, REFERENCE] });
const auth = { Authorization: `Bearer ${t}` };
let dev = null;
const result = { projects: PROJECTS, jobsPerProject: JOBS, shards: d1Shards().length, kills: [], counts: {}, timesMs: {} };

/** The task list: one entry per job, in a shuffled order so projects interleave. */
const tasks = projects.flatMap((project, p) =>
  Array.from({ length: JOBS }, (_, n) => {
    const cancel = n % CANCEL_EVERY === 3;
    return { project, n, content: cancel ? CANCELLED_CONTENT : CONTENTS[(p * 7 + n) % (CONTENTS.length - 1)], cancel, job: null, retries: 0 };
  }),
);
for (let i = tasks.length - 1; i > 0; i--) {
  const j = (i * 7919) % (i + 1);
  [tasks[i], tasks[j]] = [tasks[j], tasks[i]];
}

async function killAndRestart(label) {
  const pids = await dev.kill();
  const at = Date.now();
  log(`${label}: SIGKILLed ${pids.length} processes; restarting on the same state`);
  // A restart on a loaded machine may fail once (start-up timeout): try again.
  for (let attempt = 1; ; attempt++) {
    try {
      dev = await startDev({ port, persistTo, vars: VARS });
      break;
    } catch (err) {
      log(`${label}: restart ${attempt} failed: ${err.message}`);
      if (attempt >= 3) throw err;
    }
  }
  result.kills.push({ label, afterCreates: answered, downMs: Date.now() - at });
  log(`${label}: back after ${Date.now() - at} ms`);
}

/** One create (raw upload, Idempotency-Key), retried on a dead server or a 5xx. */
async function create(task) {
  const key = `load-${task.project}-${task.n}`;
  for (;;) {
    if (Date.now() > DEADLINE) throw new Error("deadline");
    try {
      const q = new URLSearchParams({ filename: `${task.content.id}.md` });
      const res = await fetch(`${dev.url}/api/projects/${task.project}/ingest/jobs?${q}`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "text/markdown", "Idempotency-Key": key },
        body: task.content.bytes,
      });
      if (res.status === 201 || res.status === 200) return await res.json();
      const body = await res.text();
      if (res.status < 500 && res.status !== 409 && res.status !== 429) throw new Error(`create ${key}: ${res.status} ${body}`);
      task.lastError = `${res.status} ${body.slice(0, 200)}`;
    } catch (err) {
      if (String(err).includes("create ")) throw err;
      task.lastError = String(err);
    }
    task.retries++;
    await sleep(Math.min(2_000, 100 * 2 ** Math.min(task.retries, 5)));
  }
}

async function cancel(task) {
  for (;;) {
    if (Date.now() > DEADLINE) throw new Error("deadline");
    try {
      const res = await fetch(`${dev.url}/api/projects/${task.project}/ingest/jobs/${task.job.id}/cancel`, { method: "POST", headers: auth });
      if (res.status === 200 || res.status === 400) return res.status === 200;
    } catch {
      // the server is down: retry
    }
    await sleep(300);
  }
}

let answered = 0;
let killing = null;
// Interrupted by hand: stop the server (it runs in its own process group) before leaving.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await killing?.catch(() => null);
    await dev?.stop();
    rmSync(persistTo, { recursive: true, force: true });
    process.exit(130);
  });
}
try {
  if (
    await fetch(`http://127.0.0.1:${port}/health`).then(
      () => true,
      () => false,
    )
  )
    throw new Error(`port ${port} is already in use`);
  dev = await startDev({ port, persistTo, vars: VARS });
  log(`wrangler dev up on ${dev.url}, ${result.shards} D1 shards, persist ${persistTo}`);
  const perShard = [0, 0];
  for (const p of projects) perShard[shardIndex(p, result.shards)]++;
  log(`${tasks.length} jobs in ${PROJECTS} projects (${perShard.join(" + ")} projects per shard), ${CONTENTS.length} distinct contents of 1 KiB to 1 MiB`);

  // 1. Create everything concurrently, killing the runtime twice along the way.
  const kills = [...KILL_AT];
  let cancelled = 0;
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      task.job = await create(task);
      if (task.cancel && (await cancel(task))) cancelled++;
      answered++;
      if (kills.length && answered >= kills[0] * tasks.length && !killing) {
        kills.shift();
        killing = killAndRestart(`kill ${KILL_AT.length - kills.length}`).finally(() => (killing = null));
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  while (killing) await killing;
  result.timesMs.creates = Date.now() - started;
  result.counts.created = tasks.length;
  result.counts.cancelAccepted = cancelled;
  result.counts.createRetries = tasks.reduce((a, x) => a + x.retries, 0);
  log(`created ${tasks.length} jobs (${result.counts.createRetries} retried creates), ${cancelled} cancels accepted`);

  // 2. Every job reaches a terminal state.
  const byId = new Map(tasks.map((x) => [x.job.id, x]));
  const final = new Map();
  for (let round = 0; final.size < tasks.length && Date.now() < DEADLINE; round++) {
    for (const project of projects) {
      for (const j of await listAll(project)) if (FINAL.has(j.status)) final.set(j.id, j);
    }
    if (final.size === tasks.length) break;
    // Not final after a while: GET the job, which re-arms an alarm the kill may have lost.
    if (round >= 10) {
      for (const x of tasks.filter((x) => !final.has(x.job.id)).slice(0, 200)) await getJson(dev.url, t, jobPath(x.project, x.job.id)).catch(() => null);
    }
    await sleep(1_000);
  }
  result.timesMs.allFinal = Date.now() - started;
  const statuses = {};
  for (const j of final.values()) statuses[j.status] = (statuses[j.status] ?? 0) + 1;
  result.counts.statuses = statuses;
  check("every job reaches a terminal state", final.size === tasks.length, `${final.size}/${tasks.length} final: ${JSON.stringify(statuses)}`);

  // 3. Lists: exactly each project's jobs; index rows agree with the objects.
  let listProblems = 0;
  let disagreements = 0;
  const rowDeadline = Date.now() + 60_000;
  for (const project of projects) {
    const mine = tasks.filter((x) => x.project === project).map((x) => x.job.id);
    let items = await listAll(project);
    const ids = items.map((j) => j.id);
    const exact = ids.length === mine.length && new Set(ids).size === ids.length && mine.every((id) => ids.includes(id));
    if (!exact) {
      listProblems++;
      log(
        `list of ${project}: ${ids.length} items, ${new Set(ids).size} distinct, expected ${mine.length}; foreign: ${ids.filter((id) => !mine.includes(id)).length}`,
      );
    }
    // The index may lag its object by one retry: look again until the deadline.
    for (;;) {
      const objects = await Promise.all(items.map((j) => getJson(dev.url, t, jobPath(project, j.id))));
      const bad = items.filter((j, i) => !agree(j, objects[i]));
      if (bad.length === 0) break;
      if (Date.now() > rowDeadline) {
        disagreements += bad.length;
        log(`${project}: ${bad.length} index rows disagree with their objects`);
        break;
      }
      await sleep(1_000);
      items = await listAll(project);
    }
  }
  check("every list returns exactly its project's jobs", listProblems === 0, `${PROJECTS - listProblems}/${PROJECTS} projects exact`);
  check("no index row disagrees with its object", disagreements === 0, `${disagreements} disagreeing rows`);

  // 4. A reference run of every content, uninterrupted, on the restarted server.
  const refStart = Date.now();
  const reference = new Map();
  await Promise.all(
    CONTENTS.map(async (content) => {
      const job = await create({ project: REFERENCE, n: content.id, content, retries: 0 });
      const done = await waitFinal(REFERENCE, job.id);
      reference.set(content.id, await documentOf(REFERENCE, done));
    }),
  );
  result.timesMs.reference = Date.now() - refStart;

  // 5. Documents: chunks are slices of the text and equal the reference run's.
  let docs = 0;
  let sliceErrors = 0;
  let referenceMismatch = 0;
  const completed = tasks.filter((x) => final.get(x.job.id)?.status === "COMPLETED");
  for (let i = 0; i < completed.length; i += 8) {
    await Promise.all(
      completed.slice(i, i + 8).map(async (x) => {
        const doc = await documentOf(x.project, final.get(x.job.id));
        docs++;
        sliceErrors += doc.sliceErrors;
        if (doc.signature !== reference.get(x.content.id).signature) referenceMismatch++;
      }),
    );
  }
  result.counts.documentsChecked = docs;
  check("every chunk is text.slice(charStart, charEnd)", sliceErrors === 0, `${docs} documents, ${sliceErrors} chunks differ from their slice`);
  check(
    "documents equal an uninterrupted run of the same bytes",
    referenceMismatch === 0 && docs === completed.length,
    `${docs - referenceMismatch}/${docs} equal`,
  );

  // 6. Nothing orphaned, read from the local state on disk.
  const known = new Map([...byId.keys()].map((id) => [id, final.get(id)]));
  // Uploads of creates that died wait for their reservation to expire: give the objects'
  // alarms time to delete them (at most twice the reservation, plus slack), then look.
  const isOrphanSource = (o) => {
    const m = o.key.match(/^sources\/([^/]+)\/([^/.]+)$/);
    return m !== null && m[1] !== REFERENCE && !known.has(m[2]);
  };
  for (const deadline = Date.now() + 2 * RESERVATION_MS + 15_000; Date.now() < deadline; ) {
    if (!r2Objects(persistTo).some(isOrphanSource)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const objects = r2Objects(persistTo);
  const documentIds = new Set([...known.values()].filter((j) => j?.status === "COMPLETED").map((j) => j.canonicalDocumentId));
  const referenceIds = new Set();
  const orphans = objects.filter((o) => {
    const m = o.key.match(/^(sources|documents)\/([^/]+)\/([^/.]+)(\.txt|\.chunks)?$/);
    if (!m) return true;
    if (m[2] === REFERENCE) return referenceIds.add(m[3]) && false;
    return m[1] === "sources" ? !known.has(m[3]) : !documentIds.has(m[3]);
  });
  const docRows = d1Rows(persistTo, "SELECT id, project_id, job_id FROM documents").filter((r) => r.project_id !== REFERENCE);
  const orphanDocs = docRows.filter((r) => !documentIds.has(r.id));
  // Chunks live in R2 next to the text since "Take D1 off the hot path"; before, as D1 rows.
  const hasChunkRows = d1Rows(persistTo, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'chunks'").length > 0;
  const chunkRows = hasChunkRows
    ? d1Rows(persistTo, "SELECT count(*) AS n FROM chunks WHERE document_id NOT IN (SELECT id FROM documents)").reduce((a, r) => a + Number(r.n), 0)
    : 0;
  result.counts.r2Objects = objects.length;
  check(
    "no orphan R2 objects",
    orphans.length === 0,
    `${objects.length} objects, ${orphans.length} orphans${
      orphans.length
        ? `: ${orphans
            .slice(0, 5)
            .map((o) => o.key)
            .join(", ")}`
        : ""
    }`,
  );
  check(
    "no orphan document or chunk rows",
    orphanDocs.length === 0 && chunkRows === 0,
    `${docRows.length} document rows (${orphanDocs.length} orphan), ${chunkRows} orphan chunk rows`,
  );
  const shardOfRow = d1Rows(persistTo, "SELECT project_id, count(*) AS n FROM jobs GROUP BY project_id");
  check(
    "each project's rows live in one shard",
    new Set(shardOfRow.map((r) => r.project_id)).size === shardOfRow.length,
    `${shardOfRow.length} (project, shard) pairs`,
  );
} catch (err) {
  checks.error = { ok: false, detail: String(err?.stack ?? err) };
  console.error(err);
} finally {
  // A restart may still be under way: let it finish, then stop what it started.
  await killing?.catch(() => null);
  if (dev) await dev.stop();
  rmSync(persistTo, { recursive: true, force: true });
}

result.timesMs.total = Date.now() - started;
result.checks = checks;
const pass = Object.keys(checks).length > 1 && Object.values(checks).every((c) => c.ok);
result.pass = pass;
console.log("");
console.log(
  `jobs: ${result.counts.created ?? 0} created (${result.counts.createRetries ?? 0} create retries), statuses ${JSON.stringify(result.counts.statuses ?? {})}`,
);
console.log(`kills: ${result.kills.map((k) => `after ${k.afterCreates} creates, down ${k.downMs} ms`).join("; ")}`);
console.log(
  `time: creates ${s(result.timesMs.creates)}, all final ${s(result.timesMs.allFinal)}, reference run ${s(result.timesMs.reference)}, total ${s(result.timesMs.total)}`,
);
console.log(`${pass ? "PASS" : "FAIL"}: load with faults`);
mkdirSync(new URL("../bench/out/", import.meta.url), { recursive: true });
writeFileSync(new URL("../bench/out/load.json", import.meta.url), JSON.stringify(result, null, 2));
process.exit(pass ? 0 : 1);

function s(ms) {
  return ms === undefined ? "n/a" : `${(ms / 1000).toFixed(1)} s`;
}

function jobPath(project, id) {
  return `/api/projects/${project}/ingest/jobs/${id}`;
}

/** Every page of a project's list. */
async function listAll(project) {
  const items = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ limit: "100", ...(cursor ? { cursor } : {}) });
    const page = await getJson(dev.url, t, `/api/projects/${project}/ingest/jobs?${q}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

async function waitFinal(project, id) {
  for (;;) {
    const job = await getJson(dev.url, t, jobPath(project, id));
    if (FINAL.has(job.status)) return job;
    if (Date.now() > DEADLINE) throw new Error(`job ${id} not final by the deadline`);
    await sleep(200);
  }
}

/** The index row and the object agree on everything the row carries. */
function agree(row, object) {
  return ["status", "stage", "progress", "updatedAt", "deletedAt"].every((k) => JSON.stringify(row[k]) === JSON.stringify(object[k]));
}

/** A document's text, its chunks checked against the text, and a signature of both. */
async function documentOf(project, job) {
  if (job.status !== "COMPLETED") throw new Error(`${job.id} is ${job.status}`);
  const id = job.canonicalDocumentId;
  const res = await fetch(`${dev.url}/api/projects/${project}/documents/${id}/text`, { headers: auth });
  const text = await res.text();
  const chunks = await allChunks(dev.url, t, project, id);
  const sliceErrors = chunks.filter((c) => c.text !== text.slice(c.charStart, c.charEnd)).length;
  const hash = createHash("sha256").update(text).digest("hex");
  const signature = createHash("sha256")
    .update(hash)
    .update(chunks.map((c) => `${c.ordinal}:${c.charStart}:${c.charEnd}:${c.page}:${c.contentHash}`).join("\n"))
    .digest("hex");
  return { sliceErrors, signature };
}
