/**
 * Markdown of the real corpus: README files (badges, setext and ATX headings, fences) of
 * the repositories mirrored under $REAL_CORPUS_MIRRORS (default /work/.mirror), read at
 * each mirror's HEAD. Markdown's text is kept as it is, so there is no text reference:
 * the figures are throughput and what the headings look like (how many, how many setext,
 * titles found, titles still carrying markup, which should be none).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { extractText, loadPipeline } from "../lib/floor.mjs";

const MIRRORS = process.env.REAL_CORPUS_MIRRORS ?? "/work/.mirror";
const README = /(^|\/)readme\.(md|markdown)$/i;
/** Markup a heading's title must not keep: image or link syntax, HTML tags, code or strong marks. */
const MARKUP = /!\[|\]\(|<[a-z/]|`|\*\*/i;

/** @returns {Promise<import("../real.mjs").Row[]>} */
export async function run({ quick = false } = {}) {
  const files = readmes();
  if (files.length === 0) throw new Error(`bench:real markdown found no README in the mirrors under ${MIRRORS}`);
  const P = await loadPipeline();
  const rows = [];
  let headings = 0;
  let setext = 0;
  let titled = 0;
  let marked = 0;
  for (const f of quick ? files.filter((_, i) => i % 4 === 0) : files) {
    const bytes = new Uint8Array(execFileSync("git", ["--git-dir", f.git, "show", `HEAD:${f.path}`], { maxBuffer: 1 << 28 }));
    const doc = { segments: [], headings: [], chars: 0, sha: P.sha256() };
    const t0 = performance.now();
    const c0 = cpuMs();
    extractText(P, bytes, "markdown", doc);
    const ms = performance.now() - t0;
    const cpu = cpuMs() - c0;
    const found = allHeadings(P, bytes);
    const text = new TextDecoder().decode(bytes);
    headings += found.length;
    setext += found.filter((h) => /^[ ]{0,3}(=+|-+)[ \t]*$/m.test(text.slice(h.offset).split("\n", 2)[1] ?? "") && !text.startsWith("#", h.offset)).length;
    if (found.length > 0) titled++;
    marked += found.filter((h) => MARKUP.test(h.title)).length;
    rows.push({
      file: f.name,
      bytes: bytes.length,
      ok: /\S/.test(text),
      code: /\S/.test(text) ? undefined : "EMPTY_DOCUMENT",
      ms,
      cpuMs: cpu,
      headings: found.length,
      title: found[0]?.title ?? null,
    });
  }
  const bytes = rows.reduce((s, r) => s + r.bytes, 0);
  const ms = rows.reduce((s, r) => s + r.ms, 0);
  console.log(
    `markdown: ${rows.length} READMEs, ${(bytes / (1 << 20)).toFixed(2)} MB at ${(bytes / (1 << 20) / (ms / 1000)).toFixed(1)} MB/s (extraction, hashing, segments); ` +
      `${headings} headings (${setext} setext), a title in ${titled} of ${rows.length}, titles with markup left: ${marked}`,
  );
  return rows;
}

/** Every heading the extractor reports (the floor keeps only the spaced ones' offsets). */
function allHeadings(P, bytes) {
  return P.extractSlice(new TextDecoder().decode(bytes), P.initialExtractState("markdown"), true, 0).headings;
}

/** README files of every mirror, at most 40 a repository. */
function readmes() {
  if (!existsSync(MIRRORS)) return [];
  const out = [];
  for (const dir of readdirSync(MIRRORS).sort()) {
    const git = `${MIRRORS}/${dir}/repo`;
    if (!existsSync(git)) continue;
    let paths;
    try {
      paths = execFileSync("git", ["--git-dir", git, "ls-tree", "-r", "--name-only", "HEAD"], { encoding: "utf8", maxBuffer: 1 << 28 }).split("\n");
    } catch {
      continue;
    }
    const found = paths.filter((p) => README.test(p) && !p.includes("node_modules/")).slice(0, 40);
    for (const path of found) out.push({ git, path, name: `${dir.replace("+", "/")}/${path}` });
  }
  return out;
}

function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
