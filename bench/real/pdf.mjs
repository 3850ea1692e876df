/**
 * PDFs of the real corpus (bench/real/fetch-corpus.mjs): the service's pure PDF
 * extraction (bench/lib/floor.mjs `extractPdf`, the stage's own modules, slice by slice)
 * against poppler's `pdftotext` (Debian's poppler-utils), spawned once per file as a
 * user would. Both are timed on the same bytes, one file after the other.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { extractPdf, loadPipeline } from "../lib/floor.mjs";
import { CORPUS_DIR, fetchCorpus } from "./fetch-corpus.mjs";
import { tokenF1 } from "./score.mjs";

/** @returns {Promise<import("../real.mjs").Row[]>} */
export async function run({ quick = false } = {}) {
  requirePdftotext();
  const manifest = join(CORPUS_DIR, "manifest.json");
  const files = existsSync(manifest) ? JSON.parse(readFileSync(manifest, "utf8")) : fetchCorpus();
  const P = await loadPipeline();
  const rows = [];
  for (const f of quick ? files.filter((_, i) => i % 4 === 0) : files) {
    const bytes = new Uint8Array(readFileSync(join(CORPUS_DIR, f.file)));
    const ref = reference(join(CORPUS_DIR, f.file));
    const row = { file: f.file, bytes: bytes.length, refOk: ref.ok, refMs: ref.ms, refCpuMs: ref.cpuMs };
    const t0 = performance.now();
    const c0 = cpuMs();
    try {
      const doc = { segments: [], headings: [], chars: 0, sha: P.sha256() };
      const { dropped, failed } = await extractPdf(P, bytes, doc);
      row.ms = performance.now() - t0;
      row.cpuMs = cpuMs() - c0;
      row.ok = true;
      row.dropped = dropped;
      row.failedPages = failed.length;
      if (ref.ok) row.f1 = tokenF1(doc.segments.map((s) => s.text).join(""), ref.text);
    } catch (err) {
      row.ms = performance.now() - t0;
      row.ok = false;
      row.code = err?.code ?? err?.name ?? "ERROR";
    }
    rows.push(row);
  }
  return rows;
}

function reference(path) {
  const t0 = performance.now();
  const c0 = childCpuMs();
  const out = spawnSync("pdftotext", ["-enc", "UTF-8", path, "-"], { maxBuffer: 1 << 28, encoding: "utf8" });
  const ms = performance.now() - t0;
  return { ok: out.status === 0, text: out.stdout ?? "", ms, cpuMs: childCpuMs() - c0 };
}

/** CPU time of this process (all its threads), ms. */
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU time of this process's finished children (Linux /proc; 10 ms ticks), ms. */
function childCpuMs() {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

function requirePdftotext() {
  try {
    execFileSync("pdftotext", ["-v"], { stdio: "ignore" });
  } catch {
    throw new Error("bench:real needs pdftotext: apt-get install -y poppler-utils");
  }
}
