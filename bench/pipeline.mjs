/**
 * Pipeline throughput, D1 footprint and memory through `wrangler dev`, beside the limit
 * and the pure pipeline, all in one run on the same bytes.
 *
 * For each input (1, 10, 50 MB Markdown and a 200-page PDF; --quick: 1 and 5 MB and 20
 * pages) it prints:
 *   - the limit: TextDecoder + one node:crypto SHA-256 over the bytes (best of 3);
 *   - the pure pipeline (floor): the service's own src/pipeline extraction, hashing and
 *     chunking run in Node slice by slice (bench/lib/floor.mjs, best of 3);
 *   - the service: from the start of the raw upload to the job.completed frame on the
 *     job's WebSocket (default settings, rate limits raised);
 *   each as MB/s and as a ratio to the limit;
 *   - the platform's floor for a job (bench/platform-floor/worker.ts under its own
 *     `wrangler dev`, run first: the source read in 1 MiB ranges from R2, a text of the
 *     same size and a chunk table written as multipart parts, best of 3) beside the
 *     service's created → COMPLETED (job.created to job.completed in the job's own event
 *     log; the floor is timed by its object's clock likewise), and their ratio (target:
 *     >= 0.5 at the largest Markdown file);
 *   - D1 bytes grown per source byte (used pages of the local D1 files, before/after);
 *   - D1 statements the job issued (the job object's own counter, read from its file);
 *   - the job's peak live JS heap: the same bytes again as a second job while the
 *     Worker's inspector forces a GC and reads `Runtime.getHeapUsage` every 250 ms
 *     (a separate job, so the GCs do not slow the timed one); the upload's peak apart.
 * It checks that the service's document (characters, chunk count, content hash) equals
 * the floor's. Targets: service >= 0.1x the limit at 50 MB, pure pipeline >=
 * 0.3x the limit, D1 growth < 1% of the source bytes, the same D1 statements per job at
 * 1 MB and 50 MB, peak heap < 64 MiB at 50 MB.
 *
 *   npm run bench:pipeline -- [--quick] [--port N] [--inspector-port N]   (free ports by default)
 *
 * Writes bench/out/pipeline.json.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, startDev, token, upload } from "../scripts/lib/dev-server.mjs";
import { markdown, pdf } from "./lib/corpus.mjs";
import { loadPipeline, runFloor } from "./lib/floor.mjs";
import { getJson, stageTimes, waitForJobSocket } from "./lib/jobs.mjs";
import { connectInspector } from "./lib/heap.mjs";
import { d1UsedBytes, jobD1Statements } from "./lib/d1-files.mjs";
import { floorJob, startPlatformFloor } from "./lib/platform-floor.mjs";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    port: { type: "string" },
    "inspector-port": { type: "string" },
  },
});
const MB = 1 << 20;
const PROJECT = "bench-pipeline";
const mbps = (bytes, ms) => +(bytes / MB / (ms / 1000)).toFixed(1);

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

/** The limit: decode the bytes once and take one native SHA-256 over them. */
function limitMs(bytes) {
  const t0 = performance.now();
  new TextDecoder().decode(bytes);
  createHash("sha256").update(bytes).digest("hex");
  return performance.now() - t0;
}

// 1. Inputs, the limit and the floor, before the dev server exists.
const P = await loadPipeline();
await runFloor(P, markdown(MB, 7), "markdown"); // warm-up: JIT, bundle load
for (const input of inputs) {
  input.bytes = input.make();
  input.limitMs = Math.min(limitMs(input.bytes), limitMs(input.bytes), limitMs(input.bytes));
  for (let i = 0; i < 3; i++) {
    const run = await runFloor(P, input.bytes, input.kind);
    if (!input.floor || run.ms < input.floor.ms) input.floor = run;
  }
  console.log(`${input.name}: limit ${input.limitMs.toFixed(1)} ms, floor ${input.floor.ms.toFixed(0)} ms, ${input.floor.chunkCount} chunks`);
}

// 2. The platform's floor for a job on the same bytes, under its own wrangler dev (stopped before the service starts).
const platform = await startPlatformFloor();
try {
  for (const input of inputs) {
    if (input.kind !== "markdown") continue;
    input.platform = await floorJob(platform.url, input.name, input.bytes);
    console.log(
      `${input.name}: platform floor ${input.platform.objectMs} ms in its object, ${input.platform.ms.toFixed(0)} ms at the client (${input.platform.MBps} MB/s)`,
    );
  }
} finally {
  await platform.stop();
}

// 3. The same bytes through wrangler dev.
const persistTo = mkdtempSync(join(tmpdir(), "bench-pipeline-"));
const inspectorPort = Number(args["inspector-port"] ?? (await freePort()));
const dev = await startDev({
  port: Number(args.port ?? (await freePort())),
  persistTo,
  inspectorPort,
  // Raised so a deployment with a lower MAX_DOCUMENT_CHARS measures the same 50 MiB job.
  vars: { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_HOUR: "1000000", MAX_DOCUMENT_CHARS: "200000000" },
});
const rows = [];
let inspector = null;
try {
  inspector = await connectInspector(inspectorPort);
  const t = await token({ sub: "bench", roles: ["admin"], projects: [PROJECT] });
  // Warm-up job, not measured: first request, module load, D1/R2/DO first use.
  const warm = await upload(dev.url, t, PROJECT, markdown(64 * 1024, 9), { filename: "warm-up.md", type: "text/markdown" });
  await waitForJobSocket(dev.url, t, PROJECT, warm.id);
  const idleHeap = await inspector.liveHeap();
  for (const input of inputs) {
    await new Promise((r) => setTimeout(r, 1000)); // let the previous job's clean-up settle
    const type = input.kind === "pdf" ? "application/pdf" : "text/markdown";
    const filename = `${input.name}.${input.kind === "pdf" ? "pdf" : "md"}`;
    const d1Before = d1UsedBytes(persistTo);
    const t0 = performance.now();
    const created = await upload(dev.url, t, PROJECT, input.bytes, { filename, type });
    const uploadMs = performance.now() - t0;
    await waitForJobSocket(dev.url, t, PROJECT, created.id);
    const ms = performance.now() - t0;
    const job = await getJson(dev.url, t, `/api/projects/${PROJECT}/ingest/jobs/${created.id}`);
    if (job.status !== "COMPLETED") throw new Error(`${input.name}: job ${job.id} ended ${job.status}: ${JSON.stringify(job.errors)}`);
    await new Promise((r) => setTimeout(r, 300)); // the job's last index write and clean-up
    const d1Grown = d1UsedBytes(persistTo) - d1Before;
    const statements = jobD1Statements(persistTo, job.id);
    const doc = await getJson(dev.url, t, `/api/projects/${PROJECT}/documents/${job.canonicalDocumentId}`);
    const events = (await getJson(dev.url, t, `/api/projects/${PROJECT}/ingest/jobs/${job.id}/events`)).items;
    const stages = stageTimes(events);
    // created → COMPLETED by the job's own clock (its event log), as the floor's object times itself:
    // the client's view adds however late the create's reply reaches it on a loaded machine.
    const at = (type) => Date.parse(events.find((e) => e.type === type).at);
    const jobMs = at("job.completed") - at("job.created");
    const same = doc.chunkCount === input.floor.chunkCount && doc.contentHash === input.floor.contentHash && doc.characterCount === input.floor.chars;

    // The same bytes again, with the live heap sampled: during the upload, then the job.
    const uploadSampler = inspector.sample(250);
    const again = await upload(dev.url, t, PROJECT, input.bytes, { filename, type });
    const uploadHeap = await uploadSampler.stop();
    const sampler = inspector.sample(250);
    await waitForJobSocket(dev.url, t, PROJECT, again.id);
    const heap = await sampler.stop();

    const row = {
      name: input.name,
      bytes: input.bytes.length,
      limitMBps: mbps(input.bytes.length, input.limitMs),
      floorMBps: mbps(input.bytes.length, input.floor.ms),
      floorRatio: +(input.limitMs / input.floor.ms).toFixed(3),
      serviceMBps: mbps(input.bytes.length, ms),
      serviceRatio: +(input.limitMs / ms).toFixed(3),
      uploadMs: Math.round(uploadMs),
      uploadRatio: +(input.limitMs / uploadMs).toFixed(3),
      processMBps: mbps(input.bytes.length, ms - uploadMs),
      createdToCompletedMs: jobMs,
      createdToCompletedMBps: mbps(input.bytes.length, jobMs),
      platformFloorMBps: input.platform?.MBps ?? null,
      ofPlatformFloor: input.platform ? +(mbps(input.bytes.length, jobMs) / input.platform.MBps).toFixed(2) : null,
      serviceMs: Math.round(ms),
      d1BytesGrown: d1Grown,
      d1PerSourceByte: +(d1Grown / input.bytes.length).toFixed(5),
      d1Statements: statements?.total ?? null,
      d1ProgressWrites: statements?.progressWrites ?? null,
      peakHeapMiB: +(heap.peak / MB).toFixed(1),
      uploadPeakHeapMiB: +(uploadHeap.peak / MB).toFixed(1),
      idleHeapMiB: +(idleHeap / MB).toFixed(1),
      heapSamples: heap.samples,
      chunks: doc.chunkCount,
      stageMs: stages,
      matchesFloor: same,
    };
    rows.push(row);
    console.log(
      `${input.name}: service ${row.serviceMs} ms (upload ${row.uploadMs} ms), D1 +${d1Grown} B, ${statements?.total} D1 statements, peak heap ${row.peakHeapMiB} MiB`,
    );
  }
} finally {
  inspector?.close();
  await dev.stop();
  rmSync(persistTo, { recursive: true, force: true });
}

// 4. Report.
console.log("");
console.table(
  rows.map((r) => ({
    file: r.name,
    MiB: +(r.bytes / MB).toFixed(1),
    "limit MB/s": r.limitMBps,
    "floor MB/s": r.floorMBps,
    "floor/limit": r.floorRatio,
    "service MB/s": r.serviceMBps,
    "service/limit": r.serviceRatio,
    "upload alone/limit": r.uploadRatio,
    "after upload MB/s": r.processMBps,
    "created→COMPLETED MB/s": r.createdToCompletedMBps,
    "platform floor MB/s": r.platformFloorMBps ?? "",
    "÷ platform floor": r.ofPlatformFloor ?? "",
    "D1 B grown": r.d1BytesGrown,
    "D1 B/src B": r.d1PerSourceByte,
    "D1 stmts/job": r.d1Statements,
    "of which progress rows": r.d1ProgressWrites,
    "peak heap MiB": r.peakHeapMiB,
    "upload peak heap MiB": r.uploadPeakHeapMiB,
    "stages s (queue/extract/chunk/index)": ["PENDING", "EXTRACTING", "CHUNKING", "INDEXING"].map((k) => ((r.stageMs[k] ?? 0) / 1000).toFixed(2)).join(" / "),
    chunks: r.chunks,
    "same as floor": r.matchesFloor,
  })),
);
const md = rows.filter((r) => r.name.startsWith("md-"));
const largest = md[md.length - 1];
const smallest = md[0];
const verdict = (ok) => (ok ? "MET" : "NOT MET");
console.log(`target: service >= 0.1x the limit at ${largest.name}: ${verdict(largest.serviceRatio >= 0.1)} (${largest.serviceRatio}x)`);
// Creation to COMPLETED includes the upload: when the upload alone is below the target
// ratio, no pipeline speed reaches it on this machine; the processing figure is the part in reach.
console.log(
  `bound: the upload alone (request body streamed into local R2, type check, SHA-256) is ${largest.uploadRatio}x the limit at ${largest.name}` +
    `${largest.uploadRatio < 0.1 ? ", below 0.1x: the service target is out of reach here" : ""}; after the upload the job ran at ${largest.processMBps} MB/s`,
);
console.log(
  `target: pure pipeline >= 0.3x the limit: ${verdict(md.every((r) => r.floorRatio >= 0.3))} (${md.map((r) => `${r.name} ${r.floorRatio}x`).join(", ")})`,
);
console.log(
  `target: D1 growth < 1% of source bytes: ${verdict(rows.every((r) => r.d1PerSourceByte < 0.01))} (${rows.map((r) => `${r.name} ${(r.d1PerSourceByte * 100).toFixed(3)}%`).join(", ")})`,
);
// Progress-only index rows are time-based (at most one per INDEX_PROGRESS_INTERVAL_MS of
// running), so they are shown apart: everything else must not depend on the size.
const fixed = (r) => r.d1Statements - r.d1ProgressWrites;
console.log(
  `target: same D1 statements per job at ${smallest.name} and ${largest.name}: ${verdict(smallest.d1Statements === largest.d1Statements)} ` +
    `(${smallest.d1Statements} and ${largest.d1Statements}; without the time-based progress rows ${verdict(fixed(smallest) === fixed(largest))}: ${fixed(smallest)} and ${fixed(largest)})`,
);
console.log(
  `target: peak heap < 64 MiB at ${largest.name}: ${verdict(largest.peakHeapMiB < 64)} (${largest.peakHeapMiB} MiB; idle ${largest.idleHeapMiB} MiB)`,
);
console.log(
  `target: created → COMPLETED >= 0.5x the platform's floor at ${largest.name}: ${verdict(largest.ofPlatformFloor >= 0.5)} ` +
    `(${largest.createdToCompletedMBps} MB/s ÷ ${largest.platformFloorMBps} MB/s = ${largest.ofPlatformFloor}x; ${md.map((r) => `${r.name} ${r.ofPlatformFloor}x`).join(", ")})`,
);
const allSame = rows.every((r) => r.matchesFloor);
console.log(`check: service documents equal the floor's (chars, chunk count, content hash): ${allSame ? "yes" : "NO"}`);
console.log("machine: 2 shared cores; figures vary with the other work on it.");
mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
writeFileSync(new URL("./out/pipeline.json", import.meta.url), JSON.stringify({ quick: args.quick, at: new Date().toISOString(), rows, allSame }, null, 2));
if (!allSame) process.exitCode = 1;
