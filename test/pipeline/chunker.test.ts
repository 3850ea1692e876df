import { describe, expect, it } from "vitest";
import {
  chunkLookahead,
  DEFAULT_CHUNK_OPTIONS,
  MIN_HEADING_GAP,
  minHeadingSection,
  planChunks,
  spacedHeadings,
  validateChunkOptions,
  type ChunkCursor,
  type ChunkOptions,
  type PlannedChunk,
} from "../../src/pipeline/chunker";
import { int, pick, rng } from "./random";

const WORDS = ["alpha", "beta", "gamma", "delta", "lorem", "ipsum", "data", "edge", "worker", "a", "of", "the", "zebra"];

/** A generated document and the offsets of its heading lines. */
function generate(seed: number): { text: string; headings: number[] } {
  const r = rng(seed);
  const parts: string[] = [];
  const headings: number[] = [];
  let length = 0;
  const push = (s: string) => {
    parts.push(s);
    length += s.length;
  };
  const target = int(r, 0, 1) === 0 ? int(r, 0, 400) : int(r, 2000, 12000);
  while (length < target) {
    const kind = r();
    if (kind < 0.08) {
      headings.push(length);
      push(`${"#".repeat(int(r, 1, 3))} ${pick(r, WORDS)} ${pick(r, WORDS)}\n`);
    } else if (kind < 0.2) {
      push(pick(r, ["\n\n", "\n", "\n\n\n", "   \n\n", "\t"]));
    } else if (kind < 0.25) {
      push(pick(r, ["😀", "👩‍💻", "𝄞𝄞", "中文字符测试。", "日本語のテキスト！", "한국어"]).repeat(int(r, 1, 40)));
    } else if (kind < 0.28) {
      push("x".repeat(int(r, 50, 3000))); // a long run without spaces
    } else if (kind < 0.3) {
      push(" ".repeat(int(r, 50, 1500))); // a long whitespace run
    } else {
      let sentence = "";
      for (let k = int(r, 1, 25); k > 0; k--) sentence += `${pick(r, WORDS)} `;
      push(`${sentence.trimEnd()}${pick(r, [".", "!", "?", ",", ""])} `);
    }
  }
  return { text: parts.join(""), headings };
}

function planWhole(text: string, headings: number[], o: ChunkOptions): PlannedChunk[] {
  const plan = planChunks(text, 0, true, { ordinal: 0, start: 0 }, headings, o);
  expect(plan.done).toBe(true);
  expect(plan.cursor).toEqual({ ordinal: plan.chunks.length, start: text.length });
  return plan.chunks;
}

/** Chunks the text through sliding windows that start at or before the cursor, as the slice runner does. */
function planWindowed(text: string, headings: number[], o: ChunkOptions, seed: number): PlannedChunk[] {
  const r = rng(seed);
  const chunks: PlannedChunk[] = [];
  let cursor: ChunkCursor = { ordinal: 0, start: 0 };
  for (let guard = 0; guard < 100000; guard++) {
    const windowStart = Math.max(0, cursor.start - int(r, 0, 50));
    const need = cursor.start - windowStart + chunkLookahead(o);
    const windowEnd = Math.min(text.length, windowStart + need + int(r, 0, r() < 0.5 ? 10 : o.size * 4));
    const eof = windowEnd >= text.length;
    const inWindow = headings.filter((h) => h >= windowStart && h < windowEnd);
    const plan = planChunks(text.slice(windowStart, windowEnd), windowStart, eof, cursor, inWindow, o);
    chunks.push(...plan.chunks);
    cursor = JSON.parse(JSON.stringify(plan.cursor)) as ChunkCursor;
    if (plan.done) return chunks;
  }
  throw new Error("chunking did not finish");
}

function isSpace(ch: string): boolean {
  return /\s/.test(ch);
}

describe("validateChunkOptions", () => {
  it("accepts the defaults and sane values", () => {
    expect(validateChunkOptions(DEFAULT_CHUNK_OPTIONS)).toBeNull();
    expect(validateChunkOptions({ size: 100, overlap: 49 })).toBeNull();
    expect(validateChunkOptions({ size: 8000, overlap: 0 })).toBeNull();
  });

  it("rejects sizes outside 100..8000, fractions, and overlaps of half the size or more", () => {
    for (const o of [
      { size: 99, overlap: 0 },
      { size: 8001, overlap: 0 },
      { size: 500.5, overlap: 0 },
      { size: 100, overlap: 50 },
      { size: 100, overlap: -1 },
      { size: 100, overlap: 1.5 },
    ]) {
      expect(validateChunkOptions(o)).toEqual(expect.any(String));
    }
  });
});

describe("planChunks", () => {
  it("returns no chunks for an empty or blank document", () => {
    expect(planChunks("", 0, true, { ordinal: 0, start: 0 }, [], DEFAULT_CHUNK_OPTIONS)).toEqual({
      chunks: [],
      cursor: { ordinal: 0, start: 0 },
      done: true,
    });
    expect(planWhole(" \n\n\t ".repeat(500), [], DEFAULT_CHUNK_OPTIONS)).toEqual([]);
  });

  it("waits for more text when the window is shorter than the lookahead", () => {
    const o = { size: 100, overlap: 10 };
    const plan = planChunks("word ".repeat(20), 0, false, { ordinal: 0, start: 0 }, [], o);
    expect(plan).toEqual({ chunks: [], cursor: { ordinal: 0, start: 0 }, done: false });
  });

  it("prefers a heading, then a blank line, then a sentence end, then a word start", () => {
    const o = { size: 100, overlap: 0 };
    const para = `${"word ".repeat(14)}end.\n\n${"next ".repeat(30)}`;
    expect(planWhole(para, [], o)[0]!.text).toBe(`${"word ".repeat(14)}end.\n\n`);
    const withHeading = `${"word ".repeat(12)}\n\n${"more ".repeat(2)}\n# Head\n${"body ".repeat(30)}`;
    const h = withHeading.indexOf("# Head");
    const chunks = planWhole(withHeading, [h], { size: 100, overlap: 20 });
    expect(chunks[0]!.charEnd).toBe(h);
    expect(chunks[1]!.charStart).toBe(h);
    const sentences = `${"word ".repeat(12)}stop. ${"word ".repeat(30)}`;
    expect(planWhole(sentences, [], o)[0]!.text).toBe(`${"word ".repeat(12)}stop. `);
    const words = "word ".repeat(40);
    expect(planWhole(words, [], o)[0]!.text).toBe("word ".repeat(20));
  });

  it("cuts a long run hard at the size, never inside a surrogate pair", () => {
    const chunks = planWhole("x".repeat(99) + "😀".repeat(100), [], { size: 100, overlap: 10 });
    expect(chunks[0]!.text).toBe("x".repeat(99));
    for (const c of chunks) {
      expect(c.text).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
    }
  });

  it("satisfies determinism, coverage, order, size and overlap on generated documents", () => {
    const options: ChunkOptions[] = [
      { size: 100, overlap: 0 },
      { size: 100, overlap: 49 },
      { size: 257, overlap: 30 },
      DEFAULT_CHUNK_OPTIONS,
      { size: 1500, overlap: 700 },
    ];
    let headingBreaks = 0;
    let chunkCount = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const { text, headings } = generate(seed);
      const o = options[seed % options.length]!;
      const whole = planWhole(text, headings, o);

      // (a) determinism across windows
      for (let w = 0; w < 3; w++) expect(planWindowed(text, headings, o, seed * 10 + w)).toEqual(whole);

      const covered = new Uint8Array(text.length);
      whole.forEach((c, k) => {
        // (c) order and ordinals, exact text
        expect(c.ordinal).toBe(k);
        expect(c.text).toBe(text.slice(c.charStart, c.charEnd));
        expect(c.text.trim()).not.toBe("");
        // (d) size
        expect(c.charEnd - c.charStart).toBeLessThanOrEqual(o.size);
        expect(c.charEnd).toBeGreaterThan(c.charStart);
        covered.fill(1, c.charStart, c.charEnd);
        chunkCount++;
        const prev = whole[k - 1];
        if (prev) {
          expect(c.charStart).toBeGreaterThan(prev.charStart);
          // (e) overlap
          expect(prev.charEnd - c.charStart).toBeLessThanOrEqual(o.overlap);
          if (headings.includes(prev.charEnd)) headingBreaks++;
          else expect(c.charStart).toBeGreaterThanOrEqual(prev.charEnd - o.overlap);
        }
      });
      // (b) coverage of every non-whitespace char
      for (let i = 0; i < text.length; i++) {
        if (!covered[i] && !isSpace(text[i]!)) throw new Error(`char ${i} of seed ${seed} is in no chunk`);
      }
    }
    expect(chunkCount).toBeGreaterThan(500);
    expect(headingBreaks).toBeGreaterThan(20);
  });

  it("breaks before a heading with no overlap", () => {
    const { text, headings } = generate(12345);
    const o = { size: 300, overlap: 100 };
    const chunks = planWhole(text, headings, o);
    for (let k = 1; k < chunks.length; k++) {
      if (headings.includes(chunks[k - 1]!.charEnd)) expect(chunks[k]!.charStart).toBe(chunks[k - 1]!.charEnd);
    }
  });
});

describe("a heading flood", () => {
  it("merges heading sections shorter than a quarter of the size forward, the same in any window", () => {
    const text = "# h\n".repeat(20_000);
    const headings = Array.from({ length: 20_000 }, (_, i) => i * 4);
    const o = { size: 400, overlap: 40 };
    const whole = planWhole(text, headings, o);
    expect(whole.length).toBeLessThanOrEqual(Math.ceil(text.length / minHeadingSection(o)));
    for (const c of whole.slice(0, -1)) expect(c.charEnd - c.charStart).toBeGreaterThanOrEqual(minHeadingSection(o));
    for (let w = 0; w < 3; w++) expect(planWindowed(text, headings, o, 77 + w)).toEqual(whole);
  });
});

describe("spacedHeadings", () => {
  it("drops headings closer than MIN_HEADING_GAP to the last one kept, across calls", () => {
    const hs = [0, 4, 8, 30, 40, 60].map((offset) => ({ offset }));
    expect(spacedHeadings(hs, null).map((h) => h.offset)).toEqual([0, 30, 60]);
    expect(spacedHeadings([{ offset: 10 }, { offset: 26 }], 0).map((h) => h.offset)).toEqual([26]);
    expect(MIN_HEADING_GAP).toBeLessThanOrEqual(minHeadingSection({ size: 100, overlap: 0 }));
  });
});
