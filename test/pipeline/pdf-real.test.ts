import { describe, expect, it } from "vitest";
import { PACKED_CMAPS } from "../../src/pipeline/extract/cmaps";
import { closePdf, extractPdfPages, openPdf, type OpenPdfOptions } from "../../src/pipeline/extract/pdf";
import { dropJunk, pdfSliceText, rejoinHyphens } from "../../src/pipeline/extract/pdf-text";
import { textFromItems } from "../../src/pipeline/extract/pdf-layout";
import { realPdf, type RealPdf } from "../fixtures/real/pdf/files";

const cMaps: OpenPdfOptions["cMaps"] = (name) => (PACKED_CMAPS[name] ? new Uint8Array(PACKED_CMAPS[name]) : null);

/** The document text of a real PDF, read as one slice, as the extraction stage joins it. */
async function textOf(name: RealPdf, options: OpenPdfOptions = { cMaps }) {
  const doc = await openPdf(realPdf(name), options);
  const pages = await extractPdfPages(doc, 1, doc.pageCount);
  await closePdf(doc);
  const slice = pdfSliceText(pages, doc.pageCount);
  return { text: slice.pages.map((p) => p.text).join(""), dropped: slice.dropped, failed: slice.failed };
}

describe("PDF text on real files", () => {
  it("rejoins words broken at a line end and keeps real compounds (Unstructured's multi-column-2p.pdf)", async () => {
    const { text } = await textOf("multi-column-2p.pdf");
    for (const word of ["efficient", "embeddings", "reasonable", "implemented", "complementary", "suboptimal", "exceptionally", "documents"]) {
      expect(text).toMatch(new RegExp(`\\b${word}\\b`));
    }
    for (const compound of ["dual-encoder", "open-domain", "high-dimensional", "fine-tuned", "state-of-the-art", "end-to-end"]) {
      expect(text).toContain(compound);
    }
    expect(text).not.toMatch(/\p{L}-\n\p{Ll}/u);
    expect(text).not.toMatch(/\b(?:dualencoder|opendomain|highdimensional)\b/);
  });

  it("separates table cells pdf.js gives without a space (pdfplumber's senate-expenditures.pdf, rotated)", async () => {
    const { text } = await textOf("senate-expenditures.pdf");
    expect(text).toContain("920.68 STAFF TRANSPORTATION 03/06/2019 03/04/2019 DHAW20190001");
    expect(text).not.toMatch(/\d\.\d\dSTAFF/);
  });

  it("reads text in CJK fonts through the bundled CMaps (pdf.js's noembed-sjis.pdf, issue2128r.pdf)", async () => {
    const cjk = /[\u3040-\u30ff\u3400-\u9fff]/gu;
    for (const name of ["noembed-sjis.pdf", "issue2128r.pdf"] as const) {
      const withCMaps = (await textOf(name)).text.match(cjk) ?? [];
      const without = (await textOf(name, {})).text.match(cjk) ?? [];
      expect(withCMaps.length).toBeGreaterThan(0);
      expect(without.length).toBe(0);
    }
  });

  it("keeps a run printed over itself once (pdfplumber's issue-842-example.pdf, fake bold)", async () => {
    const { text } = await textOf("issue-842-example.pdf");
    expect(text).toContain("安徽安利合成革股份有限公司");
    expect(text).not.toContain("安徽安利合成革股份有限公司安徽安利合成革股份有限公司");
  });

  it("drops and counts control and private-use characters from fonts with no Unicode map (pdf.js's TAMReview.pdf)", async () => {
    const { text, dropped } = await textOf("TAMReview.pdf");
    expect(dropped).toBeGreaterThan(30_000);
    // oxlint-disable-next-line no-control-regex -- what must be gone
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\ue000-\uf8ff]/u);
    expect(text).toContain("Technology Acceptance Model");
  });

  it("reads the pages pdf.js can and names the others (pdf.js's poppler-90-0-fuzzed.pdf)", async () => {
    const { text, failed } = await textOf("poppler-90-0-fuzzed.pdf");
    expect(failed.map((f) => f.page)).toHaveLength(2);
    expect(failed.every((f) => f.error.length > 0)).toBe(true);
    expect(text.length).toBeGreaterThan(1000);
  });
});

describe("PDF text rules", () => {
  it("spaces runs apart on one baseline, breaks lines between baselines, and leaves touching runs alone", () => {
    const item = (str: string, x: number, y: number, width: number, size = 10) => ({
      str,
      transform: [size, 0, 0, size, x, y],
      width,
      height: size,
      hasEOL: false,
    });
    expect(textFromItems([item("920.68", 10, 100, 30), item("STAFF", 90, 100, 30)])).toBe("920.68 STAFF");
    expect(textFromItems([item("47711", 10, 700, 25), item("Federal", 10, 680, 30)])).toBe("47711\nFederal");
    expect(textFromItems([item("Hel", 10, 100, 15), item("lo", 25.2, 100, 10)])).toBe("Hello");
    expect(textFromItems([item("x", 10, 100, 5), item("2", 15, 104, 3, 6)])).toBe("x2");
  });

  it("rejoins by the slice's own vocabulary", () => {
    expect(rejoinHyphens(["the sa-\ncredness of the sacredness"])).toEqual(["the sacredness of the sacredness"]);
    expect(rejoinHyphens(["a well-\nknown and well-known fact"])).toEqual(["a well-known and well-known fact"]);
    expect(rejoinHyphens(["self-aware and self-\nevident"])).toEqual(["self-aware and self-evident"]);
    expect(rejoinHyphens(["infor-\nmation"])).toEqual(["information"]);
    expect(rejoinHyphens(["Page ends with a dash-\n", "next page"])).toEqual(["Page ends with a dash-\n", "next page"]);
    expect(rejoinHyphens(["non-\nEuropean"])).toEqual(["non-\nEuropean"]);
  });

  it("NFC-normalises and attaches accents drawn before their letter", () => {
    expect(dropJunk("O\u02d8guz Cafe\u0301 don\u00b4t").text).toBe("Oğuz Café don\u00b4t");
    expect(dropJunk("a\u0003b\ue001c\td\n")).toEqual({ text: "abc\td\n", dropped: 2 });
  });
});
