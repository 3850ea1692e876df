import { getDocumentProxy } from "unpdf";
import { PipelineError } from "../errors";

type PdfProxy = Awaited<ReturnType<typeof getDocumentProxy>>;

/** An open PDF. Not serialisable: re-open it after the object is evicted. */
export interface PdfDocument {
  pageCount: number;
  proxy: PdfProxy;
}

/** One page's text. */
export interface PdfPageText {
  /** 1-based page number. */
  page: number;
  text: string;
}

/**
 * Parses a PDF. Throws a permanent PipelineError `PDF_ENCRYPTED` for a
 * password-protected file and `PDF_CORRUPT` for anything pdf.js cannot open.
 * `bytes` is copied, because pdf.js detaches the buffer it is given.
 */
export async function openPdf(bytes: Uint8Array): Promise<PdfDocument> {
  let proxy: PdfProxy;
  try {
    proxy = await getDocumentProxy(bytes.slice(), { verbosity: 0 });
  } catch (err) {
    throw toPipelineError(err);
  }
  return { pageCount: proxy.numPages, proxy };
}

/**
 * The text of pages `fromPage` (1-based) through `fromPage + count - 1`,
 * clamped to the document. Text items are joined as unpdf's `extractText`
 * does: an item followed by a line break ends in "\n".
 */
export async function extractPdfPages(doc: PdfDocument, fromPage: number, count: number): Promise<PdfPageText[]> {
  const last = Math.min(doc.pageCount, fromPage + count - 1);
  const pages: PdfPageText[] = [];
  for (let n = Math.max(1, fromPage); n <= last; n++) {
    try {
      const page = await doc.proxy.getPage(n);
      const content = await page.getTextContent();
      let text = "";
      for (const item of content.items) {
        if ("str" in item) text += item.hasEOL ? `${item.str}\n` : item.str;
      }
      page.cleanup();
      pages.push({ page: n, text });
    } catch (err) {
      throw toPipelineError(err);
    }
  }
  return pages;
}

/** Releases pdf.js resources held by the document. */
export async function closePdf(doc: PdfDocument): Promise<void> {
  await doc.proxy.destroy();
}

function toPipelineError(err: unknown): PipelineError {
  if (err instanceof PipelineError) return err;
  const name = err instanceof Error ? err.name : "";
  if (name === "PasswordException") {
    return new PipelineError("PDF_ENCRYPTED", "The PDF is encrypted and cannot be read", true);
  }
  return new PipelineError("PDF_CORRUPT", "The PDF is corrupt or not a PDF", true);
}
