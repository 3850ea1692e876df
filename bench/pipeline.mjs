/**
 * Pipeline throughput and memory through `wrangler dev`, against the floor.
 *
 * For each input (1, 10, 50 MB Markdown and a 200-page PDF; --quick: 1 and 5 MB and 20
 * pages) it measures, through a real `wrangler dev` (default settings, pipeline at full
 * speed, rate limits raised so nothing is refused):
 *   - end to end: from the start of the upload to the job.completed frame on the job's
 *     WebSocket, and the MB/s that makes (upload time is shown separately);
 *   - the floor: the same src/pipeline extraction, hashing and chunking functions run
 *     directly in Node on the same bytes, slice by slice (bench/lib/floor.mjs), in the
 *     same run; and the ratio end-to-end / floor;
 *   - workerd's peak RSS during the job (all workerd processes, sampled every 50 ms),
 *     above the idle baseline taken just before the job.
 * It also checks that the service's document (characters, chunk count, content hash)
 * equals what the floor computed.
 * Targets: text end to end within 2x the floor; peak memory for text that does not grow
 * with the file size (largest text file's peak delta <= 1.5x the smallest's + 16 MiB).
 *
 *   npm run bench:pipeline -- [--quick] [--port 8931]
 *
 * Writes bench/out/pipeline.json.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startDev, token, upload } from "./lib/server.mjs";
import { markdown, pdf } from "./lib/corpus.mjs";
import { loadPipeline, runFloor } from "./lib/floor.mjs";
import { getJson, sampleRss, totalRss, waitForJobSocket } from "./lib/jobs.mjs";

const { values: args } = parseArgs({ options: { quick: { type: "boolean", default: false }, port: { type: "string", default: "8931" } } });
const MB = 1 << 20;
const PROJECT = "bench-pipeline";
const mib = (b) => (b / MB).toFixed(1);

const inputs = args.quick
  ? [
      { name: "md-1MB", kind: "markdown", make: () => markdown(1 * MB) },
      { name: "md-5MB", kind: "markdown", make: () => markdown(5 * MB) },
      { name: "pdf-20p", kind: "pdf", make: () => pdf(P.buildPdf, 20) },
    ]
  : [
      { name: "md-1MB", kind: "markdown", make: () => markdown(1 * MB) },
      { name: "md-10MB", kind: "markdown", make: () => markdown(10 * MB) },
      { name: "md-50MB", kind: "markdown", make: () => markdown(50 * MB) },
      { name: "pdf-200p", kind: "pdf", make: () => pdf(P.buildPdf, 200) },
    ];

// 1. Inputs and the floor, before the dev server exists (nothing else of ours running).
const P = await loadPipeline();
await runFloor(P, markdown(MB, 7), "markdown"); // warm-up: JIT, esbuild bundle load
for (const input of inputs) {
  input.bytes = input.make();
  // The floor is the best of 3 runs.
  for (let i = 0; i < 3; i++) {
    const run = await runFloor(P, input.bytes, input.kind);
    if (!input.floor || run.ms < input.floor.ms) input.floor = run;
  }
  console.log(`floor ${input.name}: ${input.floor.ms.toFixed(0)} ms, ${input.floor.chunkCount} chunks`);
}

// 2. The same bytes through wrangler dev.
const persistTo = mkdtempSync(join(tmpdir(), "bench-pipeline-"));
const dev = await startDev({
  port: Number(args.port),
  persistTo,
  vars: { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_HOUR: "1000000" },
});
const rows = [];
try {
  const t = await token({ sub: "bench", roles: ["admin"], projects: [PROJECT] });
  const pids = dev.workerdPids();
  if (pids.length === 0) throw new Error("no workerd process found under wrangler dev");
  // Warm-up job, not measured: first request, module load, D1/R2/DO first use.
  const warm = await upload(dev.url, t, PROJECT, markdown(64 * 1024, 9), { filename: "warm-up.md", type: "text/markdown" });
  await waitForJobSocket(dev.url, t, PROJECT, warm.id);
  for (const input of inputs) {
    await new Promise((r) => setTimeout(r, 1000)); // let the previous job's clean-up settle
    let baseline = 0;
    for (let i = 0; i < 5; i++) {
      baseline += totalRss(pids) / 5;
      await new Promise((r) => setTimeout(r, 50));
    }
    const sampler = sampleRss(pids, 50);
    const t0 = performance.now();
    const type = input.kind === "pdf" ? "application/pdf" : "text/markdown";
    const created = await upload(dev.url, t, PROJECT, input.bytes, { filename: `${input.name}.${input.kind === "pdf" ? "pdf" : "md"}`, type });
    const tUpload = performance.now() - t0;
    await waitForJobSocket(dev.url, t, PROJECT, created.id);
    const ms = performance.now() - t0;
    const mem = sampler.stop();
    const job = await getJson(dev.url, t, `/api/projects/${PROJECT}/ingest/jobs/${created.id}`);
    if (job.status !== "COMPLETED") throw new Error(`${input.name}: job ${job.id} ended ${job.status}: ${JSON.stringify(job.errors)}`);
    const stages = await stageTimes(dev.url, t, job.id);
    const doc = await getJson(dev.url, t, `/api/projects/${PROJECT}/documents/${job.canonicalDocumentId}`);
    const same = doc.chunkCount === input.floor.chunkCount && doc.contentHash === input.floor.contentHash && doc.characterCount === input.floor.chars;
    const row = {
      name: input.name,
      kind: input.kind,
      bytes: input.bytes.length,
      uploadMs: Math.round(tUpload),
      endToEndMs: Math.round(ms),
      endToEndMBps: +(input.bytes.length / MB / (ms / 1000)).toFixed(2),
      floorMs: Math.round(input.floor.ms),
      floorMBps: +(input.bytes.length / MB / (input.floor.ms / 1000)).toFixed(2),
      ratio: +(ms / input.floor.ms).toFixed(2),
      rssBaselineMiB: +mib(baseline),
      rssPeakMiB: +mib(mem.peak),
      rssPeakAboveBaselineMiB: +mib(Math.max(0, mem.peak - baseline)),
      rssSamples: mem.samples,
      chunks: doc.chunkCount,
      stageMs: stages,
      attempts: job.attempts,
      matchesFloor: same,
    };
    rows.push(row);
    console.log(`${input.name}: ${row.endToEndMs} ms end to end (upload ${row.uploadMs} ms), floor ${row.floorMs} ms, peak +${row.rssPeakAboveBaselineMiB} MiB`);
  }
} finally {
  await dev.stop();
  rmSync(persistTo, { recursive: true, force: true });
}

/** Milliseconds spent in each stage, from the job's stored event log (events carry `at`). */
async function stageTimes(url, t, jobId) {
  const log = await getJson(url, t, `/api/projects/${PROJECT}/ingest/jobs/${jobId}/events`);
  const out = {};
  let prev = null;
  for (const e of log.items) {
    if (prev && (e.type === "job.stage" || e.type === "job.completed" || e.type === "job.started")) {
      out[prev.job.stage] = (out[prev.job.stage] ?? 0) + (Date.parse(e.at) - Date.parse(prev.at));
    }
    if (e.type === "job.stage" || e.type === "job.started" || e.type === "job.created") prev = e;
  }
  return out;
}

// 3. Report.
const text = rows.filter((r) => r.kind !== "pdf");
const ratioMet = text.every((r) => r.ratio <= 2);
const smallest = text[0];
const largest = text[text.length - 1];
const memLimit = 1.5 * smallest.rssPeakAboveBaselineMiB + 16;
const memMet = largest.rssPeakAboveBaselineMiB <= memLimit;
console.log("");
console.table(
  rows.map((r) => ({
    file: r.name,
    MiB: +mib(r.bytes),
    "upload ms": r.uploadMs,
    "e2e ms": r.endToEndMs,
    "e2e MB/s": r.endToEndMBps,
    "floor ms": r.floorMs,
    "floor MB/s": r.floorMBps,
    "e2e/floor": r.ratio,
    "idle RSS MiB": r.rssBaselineMiB,
    "peak RSS MiB": r.rssPeakMiB,
    "peak-idle MiB": r.rssPeakAboveBaselineMiB,
    "stages s (queue/extract/chunk/index)": ["PENDING", "EXTRACTING", "CHUNKING", "INDEXING"].map((k) => ((r.stageMs[k] ?? 0) / 1000).toFixed(2)).join(" / "),
    chunks: r.chunks,
    "same as floor": r.matchesFloor,
  })),
);
console.log(`target: text end to end within 2x the floor: ${ratioMet ? "MET" : "NOT MET"} (${text.map((r) => `${r.name} ${r.ratio}x`).join(", ")})`);
console.log(
  `target: text peak memory does not grow with file size: ${memMet ? "MET" : "NOT MET"} ` +
    `(${largest.name} +${largest.rssPeakAboveBaselineMiB} MiB vs ${smallest.name} +${smallest.rssPeakAboveBaselineMiB} MiB; limit ${memLimit.toFixed(1)} MiB)`,
);
const allSame = rows.every((r) => r.matchesFloor);
console.log(`check: service documents equal the floor's (chars, chunk count, content hash): ${allSame ? "yes" : "NO"}`);
mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
const out = { quick: args.quick, at: new Date().toISOString(), rows, targets: { textWithin2xFloor: ratioMet, textMemoryFlat: memMet, memLimitMiB: memLimit }, allSame };
writeFileSync(new URL("./out/pipeline.json", import.meta.url), JSON.stringify(out, null, 2));
if (!allSame) process.exitCode = 1;
