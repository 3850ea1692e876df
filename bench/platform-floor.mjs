/**
 * The platform's floor under the API's hot paths, measured the way `npm run bench` measures
 * the service (autocannon, 32 connections, ratios to /health from the same run): a Worker
 * that does only what each path must do on the platform (bench/platform-floor/worker.ts),
 * under its own `wrangler dev`:
 *   - GET /read: one Durable Object RPC returning a 1 KB record (GET one job's minimum);
 *   - POST /create: 1 KB into R2 under a new key and one new Durable Object writing one
 *     SQLite row (a create's minimum).
 * If the floor's ratio is below an issue-12 target (GET ≥ 0.8, create ≥ 0.3), no code in the
 * service reaches that target in local workerd; the service's ratio over the floor's ratio
 * is how close it comes.
 *
 *   npm run bench:platform-floor [-- --quick]
 *
 * Writes bench/out/platform-floor.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startDev } from "../scripts/lib/dev-server.mjs";
import { measurer } from "./lib/cannon.mjs";

const QUICK = process.argv.includes("--quick");
const LOAD = { connections: 32, duration: QUICK ? 5 : 10, warmup: 2 };
const KB = "x".repeat(1000) + "\n".repeat(24);

const persistTo = mkdtempSync(join(tmpdir(), "platform-floor-"));
const dev = await startDev({ port: await freePort(), persistTo, config: new URL("./platform-floor/wrangler.toml", import.meta.url).pathname });
const measure = measurer(LOAD, dev.workerdPids);
const rows = [];
try {
  rows.push(await measure("GET /health", { url: `${dev.url}/health` }));
  rows.push(await measure("GET /read (one object RPC, 1 KB record)", { url: `${dev.url}/read` }));
  rows.push(await measure("POST /create (1 KB to R2 + a new object writing one row)", { url: `${dev.url}/create`, method: "POST", body: KB }));
} finally {
  await dev.stop();
  rmSync(persistTo, { recursive: true, force: true });
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
const readRatio = read.reqPerSec / health.reqPerSec;
const createRatio = create.reqPerSec / health.reqPerSec;
console.log(`\nfloor: GET one job cannot pass ${fmt(readRatio)} × /health here (target 0.8: ${readRatio < 0.8 ? "out of reach" : "in reach"})`);
console.log(`floor: a create cannot pass ${fmt(createRatio)} × /health here (target 0.3: ${createRatio < 0.3 ? "out of reach" : "in reach"})`);
mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
writeFileSync(
  new URL("./out/platform-floor.json", import.meta.url),
  JSON.stringify({ quick: QUICK, at: new Date().toISOString(), load: LOAD, rows, readRatio, createRatio }, null, 2),
);
