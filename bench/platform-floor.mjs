/**
 * The platform's floor under the API's hot paths, measured the way `npm run bench` measures
 * the service (autocannon, 32 connections, ratios to /health from the same run): a Worker
 * that does only what each path must do on the platform (bench/platform-floor/worker.ts),
 * under its own `wrangler dev`:
 *   - GET /read: one Durable Object RPC returning a 1 KB record (GET one job's minimum);
 *   - POST /create: 1 KB into R2 under a new key and one new Durable Object writing one
 *     SQLite row (a create's minimum);
 *   - POST /create-contract: the same, then after the reply what the API contract adds to
 *     every create: one D1 index row, one event appended in a per-project object, one queue
 *     message;
 *   - a job's minimum on 1, 10 and 50 MiB (--quick: 1 and 5): the source read in 1 MiB
 *     ranges, a text of the same size and its chunk table written as multipart parts, in
 *     MB/s of the source (bench/pipeline.mjs prints the same beside the service).
 * If the floor's ratio is below a target of `npm run bench` (GET ≥ 0.8, create ≥ 0.3), no code in the
 * service reaches that target in local workerd; the service's ratio over the floor's ratio
 * is how close it comes.
 *
 *   npm run bench:platform-floor [-- --quick]
 *
 * Writes bench/out/platform-floor.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { measurer } from "./lib/cannon.mjs";
import { markdown } from "./lib/corpus.mjs";
import { floorContractCreateRequest, floorCreateRequest, floorJob, startPlatformFloor } from "./lib/platform-floor.mjs";

const QUICK = process.argv.includes("--quick");
const LOAD = { connections: 32, duration: QUICK ? 5 : 10, warmup: 2 };
const MB = 1 << 20;
const JOB_SIZES = QUICK ? [1, 5] : [1, 10, 50];

const dev = await startPlatformFloor();
const measure = measurer(LOAD, dev.workerdPids);
const rows = [];
const jobs = [];
try {
  for (const mb of JOB_SIZES) jobs.push({ name: `md-${mb}MB`, ...(await floorJob(dev.url, `md-${mb}MB`, markdown(mb * MB))) });
  rows.push(await measure("GET /health", { url: `${dev.url}/health` }));
  rows.push(await measure("GET /read (one object RPC, 1 KB record)", { url: `${dev.url}/read` }));
  rows.push(await measure("POST /create (1 KB to R2 + a new object writing one row)", floorCreateRequest(dev.url)));
  rows.push(await measure("POST /create-contract (/create + an index row in D1, an event in a project log, the queue)", floorContractCreateRequest(dev.url)));
} finally {
  await dev.stop();
}
const [health, read, create] = rows;
for (const r of rows) if (r.non2xx || r.errors) throw new Error(`${r.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
const fmt = (n, d = 2) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`\n${LOAD.connections} connections, ${LOAD.duration} s each after ${LOAD.warmup} s warm-up\n`);
console.log("| floor endpoint | req/s | p50 ms | ratio to /health | workerd CPU ms/req | ratio by CPU | disk KB/req |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(
    `| ${r.name} | ${fmt(r.reqPerSec, 0)} | ${fmt(r.p50, 1)} | ${fmt(r.reqPerSec / health.reqPerSec)} | ${fmt(r.cpuMsPerReq)} | ${fmt(health.cpuMsPerReq / r.cpuMsPerReq)} | ${fmt(r.diskKbPerReq, 1)} |`,
  );
}
console.log("\n| a job's floor (1 MiB range reads, text + chunk table as multipart parts) | MB/s | ms | of which in the object | parts |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const j of jobs) console.log(`| ${j.name} | ${fmt(j.MBps, 1)} | ${fmt(j.ms, 0)} | ${fmt(j.objectMs, 0)} | ${j.parts} |`);
const readRatio = read.reqPerSec / health.reqPerSec;
const createRatio = create.reqPerSec / health.reqPerSec;
console.log(`\nfloor: GET one job cannot pass ${fmt(readRatio)} × /health here (target 0.8: ${readRatio < 0.8 ? "out of reach" : "in reach"})`);
console.log(`floor: a create cannot pass ${fmt(createRatio)} × /health here (target 0.3: ${createRatio < 0.3 ? "out of reach" : "in reach"})`);
mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
writeFileSync(
  new URL("./out/platform-floor.json", import.meta.url),
  JSON.stringify({ quick: QUICK, at: new Date().toISOString(), load: LOAD, rows, jobs, readRatio, createRatio }, null, 2),
);
