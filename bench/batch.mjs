/**
 * `npm run bench:batch`: small files ingested in upload batches through the CLI
 * (`edge-ingest upload`, which opens an upload batch, adds every file to it and closes
 * it; one batch per block) beside the same number of loose jobs by the same program (`--no-batch`) at the same
 * concurrency, items/s from the first byte sent to every job COMPLETED. Target: the batch
 * at ≥ 0.9 × loose jobs (its items wait for BATCH_CONCURRENCY slots, so the batch can only
 * lose time there). The sides alternate in blocks of `--block` files per side, in an order
 * that spreads the machine's drift over both (and neither always meets the fuller database).
 *
 * Then, on a second server with cost tracing on (src/capacity/cost-trace.ts), the same at
 * `--cost-files`: the batch object's requests per item, and D1 statements per item for
 * each side; the difference is what the batch adds (its own row), which must not grow
 * with the item count.
 *
 *   npm run bench:batch                      # 1,000 files in blocks of 250, concurrency 8, cost run of 100
 *   npm run bench:batch -- --quick           # 100 files in blocks of 50, cost run of 40
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { markdown } from "./lib/corpus.mjs";
import { freePort, startDev, token } from "../scripts/lib/dev-server.mjs";
import { workerdUsage } from "./lib/cannon.mjs";

const { values } = parseArgs({
  options: {
    files: { type: "string" },
    concurrency: { type: "string", default: "8" },
    "cost-files": { type: "string" },
    block: { type: "string" },
    quick: { type: "boolean", default: false },
  },
});
const FILES = Number(values.files ?? (values.quick ? 100 : 1000));
const COST_FILES = Number(values["cost-files"] ?? (values.quick ? 40 : 100));
const CONCURRENCY = Number(values.concurrency);
/** Files per side in one block of the alternation. */
const BLOCK = Number(values.block ?? (values.quick ? 50 : 250));
const ROOT = new URL("../", import.meta.url).pathname;
const LIMITS = { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000000", RATE_LIMIT_USER_PER_HOUR: "1000000000" };

const dirs = [];
/** The number of set bits of `k` (its parity gives the Thue–Morse order). */
const popcount = (k) => k.toString(2).replace(/0/g, "").length;

/** `n` Markdown files of 1–4 KB, distinct per `tag`. */
function corpus(tag, n, seed) {
  const dir = mkdtempSync(join(tmpdir(), `edge-ingest-batch-${tag}-`));
  dirs.push(dir);
  for (let i = 0; i < n; i++)
    writeFileSync(join(dir, `${tag}-${String(i).padStart(4, "0")}.md`), `# ${tag} ${i}\n\n${markdown(1024 + (((i + seed) * 7919) % 3072), i + seed)}`);
  return { dir, n };
}

/** `edge-ingest upload` of the folder: as one batch, or (`loose`) as loose jobs with `--no-batch`; the same program either way. */
async function cliRun(url, t, project, { dir, n }, loose) {
  const started = performance.now();
  const args = [join(ROOT, "dist/cli.js"), "upload", dir, "--json", "--concurrency", String(CONCURRENCY), ...(loose ? ["--no-batch"] : [])];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, EDGE_INGEST_URL: url, EDGE_INGEST_TOKEN: t, EDGE_INGEST_PROJECT: project },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let completed = 0;
  let stderr = "";
  child.stdout.on("data", (d) => (completed += (d.toString().match(/"status":"COMPLETED"/g) ?? []).length));
  child.stderr.on("data", (d) => (stderr += d.toString()));
  const code = await new Promise((r) => child.on("close", r));
  if (code !== 0 || completed !== n) throw new Error(`CLI exit ${code}, ${completed} completed: ${stderr.slice(-2000)}`);
  if (!loose && !/Batch [0-9a-f-]{36} COMPLETED/.test(stderr)) throw new Error(`no completed batch in the CLI's summary: ${stderr.slice(-500)}`);
  return (performance.now() - started) / 1000;
}

const build = spawn(process.execPath, [join(ROOT, "scripts/build-clients.mjs")], { stdio: "inherit" });
await new Promise((r) => build.on("close", r));
if (!existsSync(new URL("../dist/web", import.meta.url))) {
  const web = spawnSync(process.execPath, [new URL("../scripts/build-web.mjs", import.meta.url).pathname], { stdio: "inherit" });
  if (web.status !== 0) process.exit(web.status ?? 1);
}
const t = await token({ roles: ["admin"], ttl: 6 * 3600 });
const out = { files: FILES, costFiles: COST_FILES, concurrency: CONCURRENCY, cpus: cpus().length };

// 1. Throughput. The sides alternate in blocks, in the Thue–Morse order (loose/batch,
// batch/loose, batch/loose, loose/batch, …): the machine's speed drifts by tens of
// percent over minutes, and this order makes a steady drift fall on both sides alike.
{
  const persistTo = mkdtempSync(join(tmpdir(), "edge-ingest-bench-batch-"));
  const server = await startDev({ port: await freePort(), persistTo, vars: LIMITS });
  const blocks = Math.max(1, Math.round(FILES / BLOCK));
  const plan = [];
  for (let k = 0, done = 0; k < blocks; k++) {
    const n = Math.round(((k + 1) * FILES) / blocks) - done;
    done += n;
    const order = popcount(k) % 2 === 0 ? ["loose", "batch"] : ["batch", "loose"];
    for (const side of order) plan.push([side, corpus(`${side}-${k}`, n, (k + 1) * 100_000 + (side === "batch" ? 50_000 : 0))]);
  }
  try {
    console.log(`batch: ${FILES} Markdown files of 1–4 KB per side in ${blocks} blocks, concurrency ${CONCURRENCY}, ${cpus().length} CPUs`);
    const seconds = { loose: 0, batch: 0 };
    const cpu = { loose: 0, batch: 0 };
    const pairRatios = [];
    let pair = {};
    for (const [i, [side, files]] of plan.entries()) {
      const before = workerdUsage(server.workerdPids()).cpu;
      const s = await cliRun(server.url, t, `bench-${side}-${i}`, files, side === "loose");
      const used = workerdUsage(server.workerdPids()).cpu - before;
      seconds[side] += s;
      cpu[side] += used;
      pair[side] = files.n / s;
      if (pair.loose && pair.batch) {
        pairRatios.push(pair.batch / pair.loose);
        pair = {};
      }
      console.log(
        `  ${side.padEnd(5)}: ${files.n} items in ${s.toFixed(1)} s (${(files.n / s).toFixed(1)} items/s), workerd CPU ${((1000 * used) / files.n).toFixed(1)} ms/item`,
      );
    }
    out.looseCpuMsPerItem = (1000 * cpu.loose) / FILES;
    out.batchCpuMsPerItem = (1000 * cpu.batch) / FILES;
    out.looseItemsPerSecond = FILES / seconds.loose;
    out.batchItemsPerSecond = FILES / seconds.batch;
    out.ratio = out.batchItemsPerSecond / out.looseItemsPerSecond;
    out.blockRatios = pairRatios;
    console.log(`loose jobs      : ${out.looseItemsPerSecond.toFixed(1)} items/s to all COMPLETED`);
    console.log(`CLI batches     : ${out.batchItemsPerSecond.toFixed(1)} items/s to all COMPLETED`);
    console.log(`batch / loose   : ${out.ratio.toFixed(2)} (target ≥ 0.90) ${out.ratio >= 0.9 ? "✓" : "✗"}`);
    console.log(`  per block     : ${pairRatios.map((r) => r.toFixed(2)).join(", ")} (the spread is the machine's noise)`);
    // The runtime's one thread is what both sides share: its CPU per item is the cost that
    // does not move with the machine's other load (items/s does).
    console.log(
      `workerd CPU/item: loose ${out.looseCpuMsPerItem.toFixed(1)} ms, batch ${out.batchCpuMsPerItem.toFixed(1)} ms (loose ÷ batch ${(out.looseCpuMsPerItem / out.batchCpuMsPerItem).toFixed(2)})`,
    );
  } finally {
    await server.stop();
    rmSync(persistTo, { recursive: true, force: true });
  }
}

// 2. Costs per item, with every billable operation traced.
{
  const costs = [];
  const persistTo = mkdtempSync(join(tmpdir(), "edge-ingest-bench-batch-cost-"));
  const onLine = (line) => {
    const at = line.indexOf("COST {");
    if (at >= 0) costs.push(JSON.parse(line.slice(at + 5)));
  };
  const server = await startDev({ port: await freePort(), persistTo, vars: { ...LIMITS, TRACE_COSTS: "true" }, onLine });
  /** Cost lines after `from`, once none came for 2 s. */
  const settled = async (from) => {
    let seen = -1;
    while (seen !== costs.length) {
      seen = costs.length;
      await new Promise((r) => setTimeout(r, 2000));
    }
    const lines = costs.slice(from);
    return {
      d1: lines.filter((c) => c.c === "d1").length,
      batchRequests: lines.filter((c) => c.c === "do" && c.cls === "IngestBatch").length,
    };
  };
  try {
    const per = {};
    for (const [side, n] of [
      ["loose", COST_FILES],
      ["batch", COST_FILES],
      ["batch", COST_FILES * 2],
    ]) {
      const from = costs.length;
      const files = corpus(`${side}-cost-${n}`, n, n * 17);
      await cliRun(server.url, t, `cost-${side}-${n}`, files, side === "loose");
      per[`${side}-${n}`] = { items: n, ...(await settled(from)) };
    }
    const loose = per[`loose-${COST_FILES}`];
    const small = per[`batch-${COST_FILES}`];
    const large = per[`batch-${COST_FILES * 2}`];
    out.costs = per;
    console.log(`costs (traced, ${COST_FILES} and ${COST_FILES * 2} items):`);
    console.log(`  D1 statements per item: loose ${(loose.d1 / loose.items).toFixed(2)}, batch ${(small.d1 / small.items).toFixed(2)}`);
    console.log(
      `  D1 statements the batch adds: ${small.d1 - loose.d1} for ${COST_FILES} items, ${large.d1 - 2 * loose.d1} for ${COST_FILES * 2} (should not grow with items)`,
    );
    console.log(
      `  batch object requests per item: ${(small.batchRequests / small.items).toFixed(2)} (${COST_FILES}), ${(large.batchRequests / large.items).toFixed(2)} (${COST_FILES * 2})`,
    );
  } finally {
    await server.stop();
    rmSync(persistTo, { recursive: true, force: true });
  }
}
mkdirSync(join(ROOT, "bench/out"), { recursive: true });
writeFileSync(join(ROOT, "bench/out/batch.json"), JSON.stringify(out, null, 2));
for (const d of dirs) rmSync(d, { recursive: true, force: true });
