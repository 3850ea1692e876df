import { describe, expect, it } from "vitest";
import { PipelineError } from "../../src/pipeline/errors";
import { closePdf, extractPdfPages, openPdf } from "../../src/pipeline/extract/pdf";
import { buildCorruptPdf, buildEncryptedPdf, buildPdf } from "../fixtures/pdf";

async function openError(bytes: Uint8Array): Promise<PipelineError> {
  try {
    await openPdf(bytes);
  } catch (err) {
    if (err instanceof PipelineError) return err;
    throw err;
  }
  throw new Error("openPdf did not throw");
}

describe("openPdf / extractPdfPages", () => {
  it("reads the text of each page, in ranges", async () => {
    const bytes = buildPdf(["First page\nsecond line", "Page two (with parens) and \\ backslash", "Third"]);
    const doc = await openPdf(bytes);
    expect(doc.pageCount).toBe(3);
    const firstTwo = await extractPdfPages(doc, 1, 2);
    expect(firstTwo.map((p) => p.page)).toEqual([1, 2]);
    expect(firstTwo[0]!.text).toContain("First page");
    expect(firstTwo[0]!.text).toContain("second line");
    expect(firstTwo[1]!.text).toContain("Page two (with parens) and \\ backslash");
    const rest = await extractPdfPages(doc, 3, 10);
    expect(rest).toEqual([{ page: 3, text: expect.stringContaining("Third") }]);
    await closePdf(doc);
  });

  it("does not detach the caller's buffer", async () => {
    const bytes = buildPdf(["x"]);
    await openPdf(bytes);
    expect(bytes.byteLength).toBeGreaterThan(0);
    expect((await openPdf(bytes)).pageCount).toBe(1);
  });

  it("rejects an encrypted PDF with a permanent PDF_ENCRYPTED", async () => {
    const err = await openError(buildEncryptedPdf());
    expect(err.code).toBe("PDF_ENCRYPTED");
    expect(err.permanent).toBe(true);
    expect(err.message).toBe("The PDF is encrypted and cannot be read");
  });

  it("rejects garbage with a permanent PDF_CORRUPT", async () => {
    for (const bytes of [buildCorruptPdf(), new TextEncoder().encode("hello"), new Uint8Array()]) {
      const err = await openError(bytes);
      expect(err.code).toBe("PDF_CORRUPT");
      expect(err.permanent).toBe(true);
      expect(err.message).toBe("The PDF is corrupt or not a PDF");
    }
  });
});
