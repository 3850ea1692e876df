/**
 * Deterministic test documents for the benchmarks: Markdown of a given size (headings,
 * paragraphs, sentences, some multi-byte characters incl. surrogate pairs) and a PDF of
 * N pages. The same seed always gives the same bytes.
 */

const WORDS = (
  "the of and to in is that for it as was with be by on not he this are or his from at which but have an they " +
  "you were her all she there would their we him been has when who will more no if out so said what up its about " +
  "into than them can only other new some could time these two may then do first any my now such like our over " +
  "ingest pipeline document chunk worker object alarm slice storage index durable stream upload extract"
).split(" ");
/** Multi-byte words: 2-, 3- and 4-byte UTF-8 (the last ones are surrogate pairs in UTF-16). */
const EXOTIC = ["café", "naïve", "Größe", "日本語", "中文", "데이터", "Ωμέγα", "😀", "🚀", "𝄞"];

/** Small seeded PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sentence(rand) {
  const n = 6 + Math.floor(rand() * 14);
  const words = [];
  for (let i = 0; i < n; i++) words.push(rand() < 0.03 ? EXOTIC[Math.floor(rand() * EXOTIC.length)] : WORDS[Math.floor(rand() * WORDS.length)]);
  const s = words.join(" ");
  return s[0].toUpperCase() + s.slice(1) + (rand() < 0.1 ? "?" : ".");
}

function paragraph(rand) {
  const n = 2 + Math.floor(rand() * 6);
  const out = [];
  for (let i = 0; i < n; i++) out.push(sentence(rand));
  return out.join(" ");
}

/** Markdown of about `bytes` bytes (UTF-8), never more. */
export function markdown(bytes, seed = 1) {
  const rand = rng(seed);
  const parts = [];
  let size = 0;
  let section = 0;
  while (size < bytes) {
    let block;
    const r = rand();
    if (r < 0.08) block = `${"#".repeat(1 + Math.floor(rand() * 3))} Section ${++section}: ${sentence(rand).slice(0, -1)}\n\n`;
    else if (r < 0.12) block = `- ${sentence(rand)}\n- ${sentence(rand)}\n- *${sentence(rand)}*\n\n`;
    else block = `${paragraph(rand)}\n\n`;
    const len = Buffer.byteLength(block);
    if (size + len > bytes) break;
    parts.push(block);
    size += len;
  }
  return new Uint8Array(Buffer.from(parts.join(""), "utf8"));
}

/**
 * A PDF with `pages` pages of ~45 lines of text each (Latin-1 only, as the generator
 * draws it). `buildPdf` is the tests' own generator (test/fixtures/pdf.ts), which
 * floor.mjs bundles for Node.
 */
export function pdf(buildPdf, pages, seed = 1) {
  const rand = rng(seed);
  const texts = [];
  for (let p = 0; p < pages; p++) {
    const lines = [`Page ${p + 1}`];
    for (let l = 0; l < 45; l++)
      lines.push(
        sentence(rand)
          .replace(/[^\x20-\xff]/g, "?")
          .slice(0, 90),
      );
    texts.push(lines.join("\n"));
  }
  return buildPdf(texts);
}
