import { describe, expect, it } from "vitest";
import { extractSlice, initialExtractState, type Heading } from "../../src/pipeline/extract";
import { extractReadablePage, readableArticle } from "../../src/pipeline/extract/readable";
import { READABILITY_PAGES } from "../fixtures/real";

/** The text and headings of HTML through the streaming extractor alone. */
function streamed(html: string): { text: string; headings: Heading[] } {
  return extractSlice(html, initialExtractState("html"), true, 0);
}

/** What the EXTRACTING stage makes of a page that fits a slice: Readability's article, else the page. */
function pageText(html: string): { text: string; headings: Heading[] } {
  const state = initialExtractState("html");
  if (state.kind !== "html") throw new Error("an HTML state");
  return extractReadablePage(html, state) ?? streamed(html);
}

const tokens = (s: string) => s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

/** Share of the reference's tokens (with multiplicity) found in `got`. */
function recall(got: string, reference: string): number {
  const want = tokens(reference);
  const left = new Map<string, number>();
  for (const t of want) left.set(t, (left.get(t) ?? 0) + 1);
  let hit = 0;
  for (const t of tokens(got)) {
    const n = left.get(t) ?? 0;
    if (n > 0) {
      hit++;
      left.set(t, n - 1);
    }
  }
  return want.length === 0 ? 1 : hit / want.length;
}

/** A page laid out like an mdBook chapter (the Rust book): help popup, sidebar, theme menu, page navigation. */
const BOOK_PAGE = `<!DOCTYPE HTML><html lang="en"><head><title>Hello, World! - The Rust Programming Language</title></head><body>
<div id="mdbook-help-container"><div id="mdbook-help-popup"><h2 class="mdbook-help-title">Keyboard shortcuts</h2>
<div><p>Press <kbd>←</kbd> or <kbd>→</kbd> to navigate between chapters</p><p>Press <kbd>?</kbd> to show this help</p></div></div></div>
<div id="mdbook-body-container">
<nav id="mdbook-sidebar" class="sidebar" aria-label="Table of contents"><ol><li><a href="ch01-00.html">1. Getting Started</a></li><li><a href="ch01-01.html">1.1. Installation</a></li></ol></nav>
<div id="mdbook-page-wrapper" class="page-wrapper"><div class="page">
<div id="mdbook-menu-bar" class="menu-bar sticky"><div class="left-buttons">
<button id="mdbook-theme-toggle" class="icon-button" type="button" title="Change theme">Theme</button>
<ul id="mdbook-theme-list" class="theme-popup" aria-label="Themes" role="menu">
<li role="none"><button role="menuitem" class="theme">Auto</button></li><li role="none"><button role="menuitem" class="theme">Light</button></li>
<li role="none"><button role="menuitem" class="theme">Rust</button></li><li role="none"><button role="menuitem" class="theme">Coal</button></li>
<li role="none"><button role="menuitem" class="theme">Navy</button></li><li role="none"><button role="menuitem" class="theme">Ayu</button></li></ul></div>
<h1 class="menu-title">The Rust Programming Language</h1></div>
<div id="mdbook-content" class="content"><main>
<h2 id="hello-world"><a class="header" href="#hello-world">Hello, World!</a></h2>
<p>Now that you’ve installed Rust, it’s time to write your first Rust program. It’s traditional when learning a new language to write a little program that prints the text <code>Hello, world!</code> to the screen, so we’ll do the same here!</p>
<h3 id="creating-a-project-directory"><a class="header" href="#creating-a-project-directory">Creating a Project Directory</a></h3>
<p>You’ll start by making a directory to store your Rust code. It doesn’t matter to Rust where your code lives, but for the exercises and projects in this book, we suggest making a <em>projects</em> directory in your home directory and keeping all your projects there.</p>
<p>Open a terminal and enter the following commands to make a <em>projects</em> directory and a directory for the “Hello, world!” project within the <em>projects</em> directory.</p>
</main><nav class="nav-wrapper" aria-label="Page navigation"><a rel="prev" href="ch01-01.html" title="Previous chapter">Previous</a><a rel="next" href="ch01-03.html" title="Next chapter">Next</a></nav></div></div>
<nav class="nav-wide-wrapper" aria-label="Page navigation"><a rel="prev" href="ch01-01.html">Previous chapter</a></nav></div></div></body></html>`;

describe("HTML main content", () => {
  for (const [name, page] of Object.entries(READABILITY_PAGES)) {
    it(`keeps at least 95% of Readability's expected article of its test page ${name}`, () => {
      const reference = streamed(page.expected).text;
      expect(recall(pageText(page.source).text, reference)).toBeGreaterThanOrEqual(0.95);
    });
  }

  it("drops the furniture of a book page (help popup, sidebar, theme menu, page navigation) and keeps its headings", () => {
    // The streaming extractor (pages past the DOM bound) knows furniture by its tags and
    // roles only: the help popup is a plain <div>, which only Readability sees through.
    const paths = [
      { ...pageText(BOOK_PAGE), furniture: ["Keyboard shortcuts", "Coal", "Navy", "Ayu", "Installation", "Previous chapter", "Next"] },
      { ...streamed(BOOK_PAGE), furniture: ["Coal", "Navy", "Ayu", "Installation", "Previous chapter", "Next"] },
    ];
    for (const { text, headings, furniture: dropped } of paths) {
      expect(text).toContain("Now that you’ve installed Rust");
      for (const furniture of dropped) {
        expect(text).not.toContain(furniture);
      }
      expect(headings.map((h) => [h.level, h.title])).toContainEqual([3, "Creating a Project Directory"]);
    }
  });

  it("keeps headings as headings at their levels, <h1> included; the title heading becomes the title", () => {
    const html = `<html><head><title>Whales of the North Atlantic</title></head><body><article><h1>Whales of the North Atlantic</h1><p>${"Whales are large marine mammals. ".repeat(30)}</p>
<h2>Feeding</h2><p>${"They eat krill and small fish in cold waters. ".repeat(30)}</p><h1>Appendix</h1><p>${"Sources and further reading on whales. ".repeat(20)}</p></article></body></html>`;
    expect(readableArticle(html)?.title).toBe("Whales of the North Atlantic");
    const { text, headings } = pageText(html);
    expect(headings.map((h) => [h.level, h.title])).toEqual([
      [2, "Feeding"],
      [1, "Appendix"],
    ]);
    for (const h of headings) expect(text.slice(h.offset, h.offset + h.title.length)).toBe(h.title);
  });

  it("keeps MathML's text (not its TeX annotation), through Readability and streaming", () => {
    const { text } = pageText(READABILITY_PAGES.mathjax!.source);
    expect(text).toMatch(/a\s*≠\s*0/);
    const formula = `<p>Energy: <math><semantics><mrow><mi>E</mi><mo>=</mo><mi>m</mi><msup><mi>c</mi><mn>2</mn></msup></mrow><annotation encoding="application/x-tex">E = mc^2</annotation></semantics></math>.</p>`;
    expect(streamed(formula).text).toBe("Energy: E=mc2.");
  });

  it("gives no DOM to a page nested deeper than Readability can score quickly, and still extracts it", () => {
    const deep = `<html><body>${"<div>".repeat(5000)}deep text${"</div>".repeat(5000)}</body></html>`;
    expect(readableArticle(deep)).toBeNull();
    expect(pageText(deep).text).toBe("deep text");
  });

  it("drops furniture the same however the page is split", () => {
    const html = `<body><header role="banner">Site</header><nav><ul><li>Home<nav>inner</nav> tail</li></ul></nav><div role="navigation"><div>Crumbs</div></div><main><header>Kept header</header><p>Body text</p><aside>Related</aside><span aria-hidden="true">icon</span></main><footer>Copyright</footer></body>`;
    const whole = streamed(html).text;
    expect(whole).toBe("Kept header\n\nBody text");
    for (let cut = 1; cut < html.length; cut++) {
      const first = extractSlice(html.slice(0, cut), initialExtractState("html"), false, 0);
      const state = JSON.parse(JSON.stringify(first.state));
      const second = extractSlice(html.slice(cut), state, true, first.text.length);
      expect(first.text + second.text).toBe(whole);
    }
  });
});

describe("HTML pages Readability refuses", () => {
  it("extracts a page with more elements than Readability parses by streaming", () => {
    const html = `<html><body>${"<p>word</p>".repeat(25_000)}</body></html>`;
    expect(readableArticle(html)).toBeNull();
    expect(streamed(html).text.startsWith("word\n\nword")).toBe(true);
  });
});
