/**
 * HTML of the real corpus: Mozilla Readability's test pages (source.html with the
 * expected article, expected.html) and app-shell pages (single-page-app index.html files,
 * which must fail EMPTY_DOCUMENT), read from local git mirrors ($REAL_CORPUS_MIRRORS,
 * default /work/.mirror: mozilla+readability, facebook+create-react-app, vitejs+vite).
 *
 * The pipeline is the service's own extraction (bench/lib/floor.mjs `extractText`, as the
 * EXTRACTING stage runs it); its text is scored against the text of Readability's
 * expected article (token F1 and recall). The reference time is Readability itself over a
 * linkedom DOM, called directly.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { Readability } from "@mozilla/readability";
import { parseHTML } from "linkedom";
import { extractText, loadPipeline } from "../lib/floor.mjs";
import { tokenF1, tokens } from "./score.mjs";

const MIRRORS = process.env.REAL_CORPUS_MIRRORS ?? "/work/.mirror";
const READABILITY = `${MIRRORS}/mozilla+readability/repo`;
const APP_SHELLS = [
  ["facebook+create-react-app", "packages/cra-template/template/public/index.html"],
  ["facebook+create-react-app", "packages/cra-template-typescript/template/public/index.html"],
  ["vitejs+vite", "packages/create-vite/template-react/index.html"],
  ["vitejs+vite", "packages/create-vite/template-vue/index.html"],
  ["vitejs+vite", "packages/create-vite/template-svelte/index.html"],
  ["vitejs+vite", "packages/create-vite/template-preact/index.html"],
  ["vitejs+vite", "packages/create-vite/template-solid/index.html"],
  ["vitejs+vite", "packages/create-vite/template-lit/index.html"],
];

const show = (repo, path) => execFileSync("git", ["--git-dir", repo, "show", `HEAD:${path}`], { maxBuffer: 1 << 28 });

/** @returns {Promise<import("../real.mjs").Row[]>} */
export async function run({ quick = false } = {}) {
  if (!existsSync(READABILITY)) throw new Error(`bench:real html needs a mirror of mozilla/readability at ${READABILITY}`);
  const P = await loadPipeline();
  const pages = execFileSync("git", ["--git-dir", READABILITY, "ls-tree", "--name-only", "HEAD", "test/test-pages/"], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean);
  const rows = [];
  for (const dir of quick ? pages.filter((_, i) => i % 4 === 0) : pages) {
    const bytes = new Uint8Array(show(READABILITY, `${dir}/source.html`));
    // The expected article's text, as the streaming extractor reads any article.
    const reference = P.extractSlice(show(READABILITY, `${dir}/expected.html`).toString("utf8"), P.initialExtractState("html"), true, 0).text;
    rows.push(measure(P, `readability/${dir.split("/").pop()}`, bytes, reference));
  }
  for (const [repo, path] of APP_SHELLS) {
    const git = `${MIRRORS}/${repo}/repo`;
    if (!existsSync(git)) continue;
    rows.push(measure(P, `app-shell/${repo.split("+")[1]}/${path.split("/").slice(-3).join("/")}`, new Uint8Array(show(git, path)), null));
  }
  const recalls = rows.filter((r) => typeof r.recall === "number").map((r) => r.recall);
  const below = recalls.filter((r) => r < 0.95).length;
  console.log(
    `html: recall of Readability's expected article: median ${median(recalls).toFixed(4)}, min ${Math.min(...recalls).toFixed(4)}, below 0.95: ${below} of ${recalls.length}`,
  );
  return rows;
}

/** One file through the pipeline (and Readability beside it when there is a reference). */
function measure(P, file, bytes, reference) {
  const row = { file, bytes: bytes.length };
  const t0 = performance.now();
  const c0 = cpuMs();
  const { text } = serviceText(P, bytes);
  row.ms = performance.now() - t0;
  row.cpuMs = cpuMs() - c0;
  // The EXTRACTING stage's rule: a source with no text but whitespace fails.
  row.ok = /\S/.test(text);
  if (!row.ok) row.code = "EMPTY_DOCUMENT";
  if (reference === null) return row;
  const r0 = performance.now();
  const rc0 = cpuMs();
  const { document } = parseHTML(new TextDecoder().decode(bytes));
  new Readability(document).parse();
  row.refMs = performance.now() - r0;
  row.refCpuMs = cpuMs() - rc0;
  row.f1 = tokenF1(text, reference);
  row.recall = recall(text, reference);
  return row;
}

function serviceText(P, bytes) {
  const doc = { segments: [], headings: [], chars: 0, sha: P.sha256() };
  const title = extractText(P, bytes, "html", doc);
  return { text: doc.segments.map((s) => s.text).join(""), title };
}

/** Share of the reference's tokens (with multiplicity) that the text has. */
function recall(text, reference) {
  const want = tokens(reference);
  const left = new Map();
  for (const t of want) left.set(t, (left.get(t) ?? 0) + 1);
  let hit = 0;
  for (const t of tokens(text)) {
    const n = left.get(t) ?? 0;
    if (n > 0) {
      hit++;
      left.set(t, n - 1);
    }
  }
  return want.length ? hit / want.length : 1;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : NaN;
}

function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
