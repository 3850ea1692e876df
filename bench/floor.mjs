/**
 * The pure pipeline against "the limit", in Node, on the same bytes:
 *   - the limit: TextDecoder + one node:crypto SHA-256 over the bytes;
 *   - the floor: src/pipeline's extraction, hashing and chunking, slice by slice
 *     (bench/lib/floor.mjs).
 * Prints MB/s of each and floor / limit (target ≥ 0.3). Best of 3 runs each.
 *   npm run bench:floor [-- --sizes 1,10,50 --pdf-pages 200]
 * Profile with: node --cpu-prof bench/floor.mjs --sizes 10 --pdf-pages 0
 */
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { markdown, pdf } from "./lib/corpus.mjs";
import { loadPipeline, runFloor } from "./lib/floor.mjs";

const { values } = parseArgs({
  options: { sizes: { type: "string", default: "1,10,50" }, "pdf-pages": { type: "string", default: "200" }, runs: { type: "string", default: "3" } },
});
const MB = 1024 * 1024;
const runs = Number(values.runs);
const P = await loadPipeline();

function limit(bytes) {
  const t0 = performance.now();
  new TextDecoder().decode(bytes);
  createHash("sha256").update(bytes).digest("hex");
  return performance.now() - t0;
}

async function best(fn) {
  let min = Infinity;
  let result;
  for (let i = 0; i < runs; i++) {
    const r = await fn();
    const ms = typeof r === "number" ? r : r.ms;
    if (ms < min) {
      min = ms;
      result = r;
    }
  }
  return { ms: min, result };
}

const inputs = values.sizes.split(",").map((s) => ({ name: `${s} MB Markdown`, kind: "markdown", bytes: markdown(Number(s) * MB) }));
const pages = Number(values["pdf-pages"]);
if (pages > 0) inputs.push({ name: `${pages}-page PDF`, kind: "pdf", bytes: pdf(P.buildPdf, pages) });

const rows = [];
for (const input of inputs) {
  const lim = await best(() => limit(input.bytes));
  const floor = await best(() => runFloor(P, input.bytes, input.kind));
  const mbps = (ms) => +(input.bytes.length / MB / (ms / 1000)).toFixed(1);
  rows.push({
    input: input.name,
    "limit MB/s": mbps(lim.ms),
    "floor MB/s": mbps(floor.ms),
    "floor / limit": +(lim.ms / floor.ms).toFixed(3),
    chunks: floor.result.chunkCount,
  });
}
console.table(rows);
const text = rows.filter((r) => r.input.endsWith("Markdown"));
const met = text.every((r) => r["floor / limit"] >= 0.3);
console.log(`target: pure pipeline ≥ 0.3 × the limit for Markdown: ${met ? "MET" : "NOT MET"} (${text.map((r) => r["floor / limit"]).join(", ")})`);
