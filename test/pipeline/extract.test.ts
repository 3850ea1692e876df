import { describe, expect, it } from "vitest";
import { extractSlice, initialExtractState, type ExtractState, type Heading, type TextKind } from "../../src/pipeline/extract";
import { cuts, int, pick, rng, splitAt } from "./random";

/** Runs the extractor over `parts`, checkpointing the state through JSON between slices. */
function run(kind: TextKind, parts: string[]): { text: string; headings: Heading[]; state: ExtractState } {
  let state = initialExtractState(kind);
  let text = "";
  const headings: Heading[] = [];
  parts.forEach((part, k) => {
    const out = extractSlice(part, state, k === parts.length - 1, text.length);
    text += out.text;
    headings.push(...out.headings);
    state = JSON.parse(JSON.stringify(out.state)) as ExtractState;
    if (out.state.kind === "html") expect(out.state.carry.length).toBeLessThanOrEqual(8193);
  });
  return { text, headings, state };
}

function whole(kind: TextKind, input: string) {
  return run(kind, [input]);
}

/** Asserts that many random splits (and one split per char) give the same result as one slice. */
function expectSplitIndependent(kind: TextKind, input: string, seed: number, rounds = 40): void {
  const expected = whole(kind, input);
  const r = rng(seed);
  for (let round = 0; round < rounds; round++) {
    const parts = splitAt(input, cuts(r, input.length, int(r, 1, round < 10 ? 4 : 40)));
    if (r() < 0.3) parts.push("");
    const got = run(kind, parts);
    expect(got.text).toBe(expected.text);
    expect(got.headings).toEqual(expected.headings);
  }
  if (input.length < 3000) {
    const got = run(kind, [...input]);
    expect(got.text).toBe(expected.text);
    expect(got.headings).toEqual(expected.headings);
  }
  for (const h of expected.headings) expect(h.offset === 0 || expected.text[h.offset - 1] === "\n").toBe(true);
}

describe("text extraction", () => {
  it("normalises CRLF and CR to LF and strips a leading BOM", () => {
    expect(whole("text", "\uFEFFa\r\nb\rc\n\r\nd\uFEFF").text).toBe("a\nb\nc\n\nd\uFEFF");
    expect(run("text", ["a\r", "\nb\r", "", "\r\n"]).text).toBe("a\nb\n\n");
    expect(run("text", ["", "\uFEFFx"]).text).toBe("x");
  });

  it("is split-independent", () => {
    expectSplitIndependent("text", "\uFEFFline one\r\nline two\r\rthree\n\r\n😀 end\r", 1);
  });
});

describe("markdown extraction", () => {
  const doc = [
    "# Title",
    "Intro text.",
    "",
    "## Section *one* ##",
    "   ### Indented three",
    "    #### not a heading (indented code)",
    "#hashtag is not a heading",
    "####### seven is not a heading",
    "```js",
    "# inside a fence",
    "```",
    "~~~",
    "## also fenced",
    "~~~",
    "###### Six",
    "#",
    "## Last",
  ].join("\r\n");

  it("keeps the text and reports ATX headings outside fences at their line starts, titled without markup", () => {
    const { text, headings } = whole("markdown", doc);
    expect(text).toBe(doc.replace(/\r\n/g, "\n"));
    expect(headings.map((h) => [h.level, h.title])).toEqual([
      [1, "Title"],
      [2, "Section one"],
      [3, "Indented three"],
      [6, "Six"],
      [2, "Last"],
    ]);
    for (const h of headings) {
      expect(h.offset === 0 || text[h.offset - 1] === "\n").toBe(true);
    }
  });

  it("is split-independent", () => {
    expectSplitIndependent("markdown", doc, 2);
    expectSplitIndependent("markdown", `# ${"long ".repeat(3000)}\n## after\n`, 3, 10);
  });
});

describe("html extraction", () => {
  const page = [
    "<!DOCTYPE html>",
    "<html><head><title>The &amp; Title</title>",
    "<meta charset='utf-8'><style>p { color: red } /* </p> */</style>",
    '<script type="text/javascript">if (a < b && c > d) { document.write("<p>no</p>") } // </scr + ipt></script>',
    "</head><body>",
    "<!-- a comment with <p>tags</p> -->",
    '<h1 class="x">Main &mdash; heading</h1>',
    "<p>Hello,   <b>world</b>!\tTabs\nand newlines collapse.</p>",
    "<p>Entities: &lt;tag&gt; &quot;q&quot; &apos;a&apos; &copy; &reg; &hellip; &ndash; &lsquo;x&rsquo; &ldquo;y&rdquo; &#65;&#x42;&#X43; &#128512; &unknown; & alone &amp &notit; &NotNestedGreaterGreater;</p>",
    "<div>one</div><div>two<br>three<br><br><br>four</div>",
    "<ul><li>alpha</li><li>beta</li></ul>",
    "<noscript>enable js</noscript><template><p>hidden</p></template>",
    "<svg><text>icon</text></svg>",
    "<table><tr><td>a</td><td>b</td></tr></table>",
    "<pre>line 1\n  line 2</pre>",
    "<a href=\"x>y\" title='>'>link</a> 3 < 4 and 5 > 2",
    "<h2>Second</h2><p>Body&nbsp;text</p>",
    "</body></html>",
  ].join("\r\n");

  it("extracts visible text with entities decoded and blocks as line breaks", () => {
    const { text, headings, state } = whole("html", page);
    expect(text).toBe(
      [
        "Main — heading",
        "",
        "Hello, world! Tabs and newlines collapse.",
        "",
        // HTML5: legacy names decode without ";" ("&amp", "&not" of "&notit;"), as browsers do.
        "Entities: <tag> \"q\" 'a' © ® … – ‘x’ “y” ABC 😀 &unknown; & alone & ¬it; \u2AA2\u0338",
        "",
        "one",
        "two",
        "three",
        "",
        "four",
        "",
        "alpha",
        "beta",
        "",
        "a b",
        "",
        "line 1",
        "line 2",
        "",
        "link 3 < 4 and 5 > 2",
        "",
        "Second",
        "",
        "Body text",
      ].join("\n"),
    );
    expect(headings).toEqual([
      { offset: 0, level: 1, title: "Main — heading" },
      { offset: text.indexOf("Second"), level: 2, title: "Second" },
    ]);
    expect(state.kind === "html" && state.title).toBe("The & Title");
  });

  it("is split-independent, including inside tags, entities, comments and scripts", () => {
    expectSplitIndependent("html", page, 4, 80);
  });

  it("is split-independent on generated markup", () => {
    const r = rng(5);
    const bits = [
      "<p>",
      "</p>",
      "<div class='a>b'>",
      "</div>",
      "<br/>",
      "<h2>",
      "</h2>",
      "<h3 id=x>",
      "</h3>",
      "&amp;",
      "&#x1F600;",
      "&nbsp;",
      "&bogus",
      "<!-- c -->",
      "<!--",
      "-->",
      "<script>x<y</script>",
      "<style>a{}</style>",
      "word",
      "two words",
      "  ",
      "\r\n",
      "\n",
      "\t",
      "😀",
      "中文",
      "<",
      ">",
      "&",
      "<pre>",
      "</pre>",
      "<!doctype html>",
      "<?xml?>",
      "</>",
      "<template>",
      "</template>",
      "<li>",
      "<td>",
      "<SCRIPT>",
      "</SCRIPT >",
    ];
    for (let round = 0; round < 25; round++) {
      let input = "";
      for (let k = int(r, 20, 300); k > 0; k--) input += pick(r, bits);
      expectSplitIndependent("html", input, 100 + round, 15);
    }
  });

  it("never carries more than ~8 KB: a pathological tag is dropped deterministically", () => {
    const input = `<p>before</p><div data-x="${"y".repeat(20000)}">inside</div><p>after</p><a ${"z".repeat(9000)}>tail</a>`;
    expectSplitIndependent("html", input, 6, 20);
    const { text } = whole("html", input);
    expect(text.startsWith("before")).toBe(true);
    expect(text.endsWith("tail")).toBe(true);
  });

  it("keeps at most one blank line and drops leading and trailing breaks", () => {
    expect(whole("html", "<p></p><br><br><div><p>a</p></div><br><br><br><p>b</p><p></p>").text).toBe("a\n\nb");
  });

  it("handles a head without an end tag and uppercase tags", () => {
    expect(whole("html", "<HEAD><TITLE>t</TITLE><P>Body<BR>x</P>").text).toBe("Body\nx");
  });
});
