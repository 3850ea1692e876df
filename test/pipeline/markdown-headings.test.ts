import { describe, expect, it } from "vitest";
import { extractSlice, initialExtractState, type Heading } from "../../src/pipeline/extract";
import { READMES } from "../fixtures/real";

/** Headings of `md` read in slices cut at `cut` (the state through JSON between them). */
function headings(md: string, cut = md.length): Heading[] {
  const first = extractSlice(md.slice(0, cut), initialExtractState("markdown"), cut >= md.length, 0);
  if (cut >= md.length) return first.headings;
  const state = JSON.parse(JSON.stringify(first.state));
  return [...first.headings, ...extractSlice(md.slice(cut), state, true, first.text.length).headings];
}

describe("Markdown headings", () => {
  it("reports setext headings (=== level 1, --- level 2) at the paragraph's start, not inside fences", () => {
    const md =
      "Title\n=====\n\nSome intro text\nspanning two lines\n------------------\n\n- item\n---\n\n```\nNot a heading\n=============\n```\n\nUsage\n-----\n";
    expect(headings(md).map((h) => [h.offset, h.level, h.title])).toEqual([
      [0, 1, "Title"],
      [13, 2, "Some intro text spanning two lines"],
      [md.indexOf("Usage"), 2, "Usage"],
    ]);
  });

  it("reads the same headings however the text is split", () => {
    const md = READMES.uglifyReadme;
    const whole = headings(md);
    for (let cut = 1; cut < 400; cut++) expect(headings(md, cut)).toEqual(whole);
  });

  it("titles a setext heading with all its paragraph's lines, prose or not, wherever the slices cut it", () => {
    const md = "Intro.\n\nFirst line of a title\n12 apples, not a list\n*and emphasis*\nlast words\n====\n\nBody text here.\n";
    const whole = headings(md);
    expect(whole.map((h) => [h.offset, h.level, h.title])).toEqual([[8, 1, "First line of a title 12 apples, not a list and emphasis last words"]]);
    for (let cut = 1; cut < md.length; cut++) expect(headings(md, cut)).toEqual(whole);
  });

  it("keeps the first 1,024 source characters of a long paragraph for its setext title, however it is split", () => {
    const line = (n: number) => `Line ${n} of a long paragraph ${"word ".repeat(40)}`;
    const md = `${Array.from({ length: 12 }, (_, n) => line(n)).join("\n")}\n---\n`;
    const whole = headings(md);
    expect(whole).toHaveLength(1);
    expect(whole[0]!.title).toBe(md.slice(0, 200));
    for (let cut = 1; cut < md.length; cut += 37) expect(headings(md, cut)).toEqual(whole);
  });

  it("titles a heading with its text, without badge, image, link, emphasis or code markup", () => {
    const md =
      "# [![Build Status](https://travis-ci.org/x/y.svg?branch=master)](https://travis-ci.org/x/y) The `foo` _library_ &amp; **more** #\n\n" +
      'Project <img src="logo.png" alt="logo"> [docs](https://x.dev)\n===\n';
    expect(headings(md).map((h) => h.title)).toEqual(["The foo library & more", "Project docs"]);
  });

  it("does not report a heading that is only badges", () => {
    expect(headings("# [![npm](https://img.shields.io/npm/v/x.svg)](https://npm.im/x)\n\ntext\n")).toEqual([]);
  });

  it("finds a real README's setext title and its sections", () => {
    const found = headings(READMES.uglifyReadme);
    expect(found[0]).toMatchObject({ offset: 0, level: 1, title: "UglifyJS 3" });
    expect(found.length).toBeGreaterThan(20);
    for (const h of [...found, ...headings(READMES.browserifyReadme), ...headings(READMES.globReadme)]) {
      expect(h.title).not.toMatch(/[[\]]\(|!\[|<|`|\*\*/);
    }
  });
});
