/**
 * Assembles the real PDF corpus of `npm run bench:real` into bench/out/real-corpus/pdf/
 * from bare git mirrors of three public repositories (no network: the mirrors must be on
 * disk). Files are read at the mirror's HEAD; only files stored in the repository, not
 * pdf.js's `.link` files (URLs of files it downloads for its own tests).
 *
 *   node bench/real/fetch-corpus.mjs            (bench/real/pdf.mjs runs it when the corpus is missing)
 *
 * Mirrors: $REAL_CORPUS_MIRRORS (default /work/.mirror)/<owner>+<name>/repo, e.g.
 *   git clone --bare https://github.com/mozilla/pdf.js  $REAL_CORPUS_MIRRORS/mozilla+pdf.js/repo
 *   git clone --bare https://github.com/jsvine/pdfplumber  $REAL_CORPUS_MIRRORS/jsvine+pdfplumber/repo
 *   git clone --bare https://github.com/Unstructured-IO/unstructured  $REAL_CORPUS_MIRRORS/Unstructured-IO+unstructured/repo
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const MIRRORS = process.env.REAL_CORPUS_MIRRORS ?? "/work/.mirror";
export const CORPUS_DIR = new URL("../out/real-corpus/pdf/", import.meta.url).pathname;

/**
 * What is taken from each repository: pdfplumber's and Unstructured's example PDFs whole;
 * from pdf.js's ~1,000 test files, the ones named for a text-quality rule plus a fixed
 * sample (by a hash of the name) of ordinary-sized ones.
 */
const SOURCES = [
  { repo: "jsvine/pdfplumber", under: ["examples/pdfs/", "tests/pdfs/"], licence: "MIT" },
  { repo: "Unstructured-IO/unstructured", under: ["example-docs/"], licence: "Apache-2.0" },
  {
    repo: "mozilla/pdf.js",
    under: ["test/pdfs/"],
    licence: "Apache-2.0 (test files: their authors' terms)",
    named: [
      "bug1815476.pdf",
      "issue3371.pdf",
      "poppler-90-0-fuzzed.pdf",
      "Brotli-Prototype-FileA.pdf",
      "xref_command_missing.pdf",
      "issue2128r.pdf",
      "issue8372.pdf",
      "issue11555.pdf",
      "issue13343.pdf",
      "noembed-sjis.pdf",
      "TAMReview.pdf",
    ],
    sample: 0,
    sizes: [20_000, 3_000_000],
  },
];

const git = (dir, args, opts = {}) => execFileSync("git", ["--git-dir", dir, ...args], { maxBuffer: 1 << 28, ...opts });

/** Writes the corpus; returns [{ file, repo, path, bytes }]. */
export function fetchCorpus() {
  const missing = SOURCES.filter((s) => !existsSync(mirrorOf(s.repo)));
  if (missing.length) {
    throw new Error(
      `bench:real needs bare git mirrors of ${missing.map((s) => s.repo).join(", ")} under ${MIRRORS}/<owner>+<name>/repo ` +
        `(see bench/real/fetch-corpus.mjs for the clone commands; set REAL_CORPUS_MIRRORS to use another folder)`,
    );
  }
  const seen = new Set();
  const files = [];
  for (const source of SOURCES) {
    const dir = mirrorOf(source.repo);
    const listing = git(dir, ["ls-tree", "-r", "-l", "HEAD", "--", ...source.under], { encoding: "utf8" });
    let entries = listing
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [meta, path] = line.split("\t");
        const [, , blob, size] = meta.split(/\s+/);
        return { blob, size: Number(size), path };
      })
      .filter((e) => e.path.toLowerCase().endsWith(".pdf") && Number.isFinite(e.size));
    if (source.named) {
      const named = entries.filter((e) => source.named.includes(e.path.split("/").pop()));
      const [lo, hi] = source.sizes;
      const sampled = entries
        .filter((e) => e.size >= lo && e.size <= hi && !named.includes(e))
        .sort((a, b) => hashOf(a.path).localeCompare(hashOf(b.path)))
        .slice(0, source.sample);
      entries = [...named, ...sampled];
    }
    const short = source.repo.split("/")[1];
    for (const e of entries) {
      if (seen.has(e.blob)) continue;
      let bytes;
      try {
        bytes = git(dir, ["cat-file", "blob", e.blob], { stdio: ["ignore", "pipe", "ignore"] });
      } catch {
        continue; // listed but not in the mirror (a large file it left out)
      }
      seen.add(e.blob);
      const file = join(short, e.path.split("/").pop());
      mkdirSync(join(CORPUS_DIR, short), { recursive: true });
      writeFileSync(join(CORPUS_DIR, file), bytes);
      files.push({ file, repo: source.repo, path: e.path, licence: source.licence, bytes: bytes.length });
    }
  }
  writeFileSync(join(CORPUS_DIR, "manifest.json"), JSON.stringify(files, null, 2));
  return files;
}

function mirrorOf(repo) {
  return join(MIRRORS, repo.replace("/", "+"), "repo");
}

function hashOf(s) {
  return createHash("sha256").update(s).digest("hex");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = fetchCorpus();
  const mb = files.reduce((s, f) => s + f.bytes, 0) / (1 << 20);
  console.log(`${files.length} PDFs, ${mb.toFixed(1)} MB in ${CORPUS_DIR}`);
}
