/**
 * The "floor" of the pipeline: the service's own pure extraction, hashing and chunking
 * modules (src/pipeline) run directly in Node on the same bytes, slice by slice as
 * src/jobs/slice-runner.ts does, without Workers, Durable Objects, D1 or R2. The modules
 * are bundled with esbuild into a temp file and imported.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Bundles src/pipeline for Node and returns its exports. */
export async function loadPipeline() {
  const dir = mkdtempSync(join(tmpdir(), "floor-"));
  try {
    const entry = join(dir, "entry.ts");
    writeFileSync(
      entry,
      [
        `export { extractSlice, initialExtractState } from "${ROOT}src/pipeline/extract/index.ts";`,
        `export { extractReadablePage, READABLE_MAX_BYTES } from "${ROOT}src/pipeline/extract/readable.ts";`,
        `export { planChunks, chunkLookahead, spacedHeadings, DEFAULT_CHUNK_OPTIONS } from "${ROOT}src/pipeline/chunker.ts";`,
        `export { sha256, sha256Hex } from "${ROOT}src/pipeline/sha256.ts";`,
        `export { completeUtf8Length, decodeUtf8 } from "${ROOT}src/pipeline/utf8.ts";`,
        `export { openPdf, extractPdfPages } from "${ROOT}src/pipeline/extract/pdf.ts";`,
        `export { scanPdf, planPdfSlices, estimatePageBytes } from "${ROOT}src/pipeline/extract/pdf-scan.ts";`,
        `export { pdfSliceText } from "${ROOT}src/pipeline/extract/pdf-text.ts";`,
        `export * from "${ROOT}src/pipeline/limits.ts";`,
        `export { buildPdf } from "${ROOT}test/fixtures/pdf.ts";`,
        `export { pageTreeBomb, sharedStreamPdf } from "${ROOT}test/fixtures/hostile-pdf.ts";`,
      ].join("\n"),
    );
    const out = join(dir, "pipeline.mjs");
    execFileSync(
      `${ROOT}node_modules/.bin/esbuild`,
      [entry, "--bundle", "--platform=node", "--format=esm", `--outfile=${out}`, "--log-level=error", "--external:pdfjs-dist"],
      {
        cwd: ROOT,
      },
    );
    return await import(pathToFileURL(out).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs extraction + hashing + chunking + per-chunk hashes on `bytes` and returns
 * { ms, chars, chunkCount, contentHash, chunkHashes }. `kind` is "markdown" | "text" | "html" | "pdf".
 */
export async function runFloor(P, bytes, kind, opts = P.DEFAULT_CHUNK_OPTIONS) {
  const t0 = performance.now();
  const doc = { segments: [], headings: [], chars: 0, sha: P.sha256() };
  if (kind === "pdf") await extractPdf(P, bytes, doc);
  else extractText(P, bytes, kind, doc);
  const contentHash = doc.sha.digest("hex");
  const chunkHashes = await chunk(P, doc, opts);
  return { ms: performance.now() - t0, chars: doc.chars, chunkCount: chunkHashes.length, contentHash, chunkHashes };
}

/**
 * EXTRACTING for text: 1 MiB byte ranges, UTF-8 carry, extractSlice, segments + running
 * native hash; an HTML page that fits one slice read whole through Readability, as
 * src/jobs/stages/extract-text.ts does. Returns the page's title (HTML) or null.
 */
export function extractText(P, bytes, kind, doc) {
  let state = P.initialExtractState(kind);
  let carry = new Uint8Array(0);
  for (let offset = 0; ; ) {
    const body = bytes.subarray(offset, Math.min(bytes.length, offset + P.SOURCE_SLICE_BYTES));
    offset += body.length;
    const isLast = offset >= bytes.length;
    const buf = carry.length ? Buffer.concat([carry, body]) : body;
    const complete = isLast ? buf.length : P.completeUtf8Length(buf);
    const raw = buf.subarray(0, complete);
    const { text: input, lossless } = P.decodeUtf8(raw);
    const whole = kind === "html" && offset === body.length && isLast && bytes.length <= P.READABLE_MAX_BYTES;
    const page = whole ? P.extractReadablePage(input, state) : null;
    const out = page ?? P.extractSlice(input, state, isLast, doc.chars);
    state = out.state;
    carry = buf.slice(complete);
    const kept = P.spacedHeadings(out.headings, doc.headings.at(-1) ?? null);
    for (const h of kept) doc.headings.push(h.offset);
    // As the slice runner does: text that is exactly its valid UTF-8 input is hashed from the bytes.
    const hashBytes = lossless && out.text === input;
    if (hashBytes) doc.sha.update(raw);
    appendText(P, doc, out.text, null, !hashBytes);
    if (isLast) return page?.title || (state.kind === "html" ? state.title : null) || null;
  }
}

/** pdf.js's CMaps from pdfjs-dist, as the Worker has them in its bundle (src/pipeline/extract/cmaps.ts). */
export function nodeCMaps(name) {
  const file = `${ROOT}node_modules/pdfjs-dist/cmaps/${name}.bcmap`;
  return existsSync(file) ? new Uint8Array(readFileSync(file)) : null;
}

/**
 * EXTRACTING for PDF as src/jobs/stages/extract-pdf.ts does it: measure (pdf-scan), open
 * once, then the planned slices, each cleaned by pdfSliceText. Returns the text's
 * `dropped` characters and `failed` pages.
 */
export async function extractPdf(P, bytes, doc) {
  const limits = P.DEFAULT_DOCUMENT_LIMITS;
  const scan = await P.scanPdf(bytes, limits);
  const pdf = await P.openPdf(bytes, { cMaps: nodeCMaps });
  const pageBytes = scan.measured && scan.pages === pdf.pageCount ? scan.pageBytes : P.estimatePageBytes(pdf.pageCount, bytes.length, limits.sliceDecodedBytes);
  const { ends } = P.planPdfSlices(pageBytes, limits.sliceDecodedBytes, P.PDF_PAGES_PER_SLICE);
  let dropped = 0;
  const failed = [];
  try {
    for (let done = 0, slice = 0; done < pdf.pageCount; slice++) {
      const pages = await P.extractPdfPages(pdf, done + 1, ends[slice] - done);
      const text = P.pdfSliceText(pages, pdf.pageCount);
      for (const p of text.pages) appendText(P, doc, p.text, p.page);
      dropped += text.dropped;
      failed.push(...text.failed);
      done += pages.length;
    }
  } finally {
    await pdf.proxy.destroy();
  }
  return { dropped, failed };
}

/** Appends `text` as segments; `hash`: also feeds it to the content hash (unless its bytes were). */
function appendText(P, doc, text, page, hash = true) {
  for (let i = 0; i < text.length; ) {
    let end = Math.min(text.length, i + P.SEGMENT_CHARS);
    const c = text.charCodeAt(end - 1);
    if (end < text.length && c >= 0xd800 && c <= 0xdbff) end += 1;
    const part = text.slice(i, end);
    if (hash) doc.sha.update(part);
    doc.segments.push({ charStart: doc.chars, page, text: part });
    doc.chars += part.length;
    i = end;
  }
}

/** CHUNKING: windows of CHUNK_WINDOW_CHARS (+ lookahead) from the segment holding the cursor. */
async function chunk(P, doc, opts) {
  const hashes = [];
  let cursor = { ordinal: 0, start: 0 };
  for (;;) {
    let first = 0;
    while (first + 1 < doc.segments.length && doc.segments[first + 1].charStart <= cursor.start) first++;
    const parts = [];
    let covered = 0;
    for (let s = first; s < doc.segments.length && covered < P.CHUNK_WINDOW_CHARS + P.chunkLookahead(opts); s++) {
      parts.push(doc.segments[s].text);
      covered = doc.segments[s].charStart + doc.segments[s].text.length - cursor.start;
    }
    const windowStart = doc.segments[first]?.charStart ?? cursor.start;
    const window = parts.join("");
    const eof = windowStart + window.length >= doc.chars;
    const headings = doc.headings.filter((h) => h >= windowStart && h < windowStart + window.length);
    const plan = P.planChunks(window, windowStart, eof, cursor, headings, opts);
    for (const c of plan.chunks) hashes.push(P.sha256Hex(c.text));
    cursor = plan.cursor;
    if (plan.done) return hashes;
  }
}
