import { getDocumentProxy } from "unpdf";
import { PipelineError } from "../errors";
import { textFromItems, type PdfTextItem } from "./pdf-layout";

type PdfProxy = Awaited<ReturnType<typeof getDocumentProxy>>;

/** An open PDF. Not serialisable: re-open it after the object is evicted. */
export interface PdfDocument {
  pageCount: number;
  proxy: PdfProxy;
}

/** One page's text, or why the page could not be read (the rest of the document still can). */
export interface PdfPageText {
  /** 1-based page number. */
  page: number;
  text: string;
  /** Set when pdf.js failed on this page: its message, bounded. */
  error?: string;
}

/** The packed CMap (`.bcmap`) of a given name, or null when there is none. */
export type CMapSource = (name: string) => Promise<Uint8Array | null> | Uint8Array | null;

export interface OpenPdfOptions {
  /** pdf.js's CMaps, for text in CJK fonts that name a predefined CMap; without them that text is lost. */
  cMaps?: CMapSource;
}

/** Longest pdf.js message kept for a failed page. */
const MAX_PAGE_ERROR = 200;

/**
 * pdf.js options for text alone: no font faces (nothing is rendered) and no `eval` (not
 * allowed in Workers). `useSystemFonts` makes pdf.js skip loading standard font data
 * for fonts a PDF does not embed: their widths come from pdf.js's own metrics, and
 * the glyph outlines are only needed to draw. Measured on the real corpus
 * (docs/text-quality.md).
 */
const TEXT_ONLY = {
  verbosity: 0,
  disableFontFace: true,
  isEvalSupported: false,
  useSystemFonts: true,
  // Never let pdf.js fetch anything itself: CMaps come from `BinaryDataFactory`.
  useWorkerFetch: false,
  stopAtErrors: false,
};

/**
 * Parses a PDF. Throws a permanent PipelineError `PDF_ENCRYPTED` for a file that needs a
 * password to open and `PDF_CORRUPT` for anything pdf.js cannot open. `bytes` is
 * copied, because pdf.js detaches the buffer it is given.
 */
export async function openPdf(bytes: Uint8Array, options: OpenPdfOptions = {}): Promise<PdfDocument> {
  let proxy: PdfProxy;
  try {
    proxy = await getDocumentProxy(bytes.slice(), {
      ...TEXT_ONLY,
      ...(options.cMaps ? { cMapUrl: "cmaps/", cMapPacked: true, BinaryDataFactory: binaryDataFactory(options.cMaps) } : {}),
    });
  } catch (err) {
    throw toPipelineError(err);
  }
  return { pageCount: proxy.numPages, proxy };
}

/**
 * The text of pages `fromPage` (1-based) through `fromPage + count - 1`, clamped to the
 * document, laid out from the items' positions (pdf-layout.ts). A page pdf.js fails on
 * comes back empty with its `error`; the others are read.
 */
export async function extractPdfPages(doc: PdfDocument, fromPage: number, count: number): Promise<PdfPageText[]> {
  const last = Math.min(doc.pageCount, fromPage + count - 1);
  const pages: PdfPageText[] = [];
  for (let n = Math.max(1, fromPage); n <= last; n++) {
    try {
      const page = await doc.proxy.getPage(n);
      // Unicode is normalised once per slice (pdf-text.ts), not item by item.
      const content = await page.getTextContent({ disableNormalization: true });
      const items = content.items.filter((item): item is typeof item & PdfTextItem => "str" in item);
      page.cleanup();
      pages.push({ page: n, text: textFromItems(items) });
    } catch (err) {
      const failure = toPipelineError(err);
      if (failure.code !== "PDF_CORRUPT") throw failure;
      const message = err instanceof Error ? err.message : String(err);
      pages.push({ page: n, text: "", error: message.split("\n")[0]!.slice(0, MAX_PAGE_ERROR) });
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

/**
 * pdf.js's `BinaryDataFactory` (what its worker asks for CMaps, standard fonts and
 * WebAssembly) answered from `cMaps`; anything else is refused, so nothing is fetched.
 */
function binaryDataFactory(cMaps: CMapSource) {
  return class {
    async fetch({ kind, filename }: { kind: string; filename: string }): Promise<Uint8Array> {
      const data = kind === "cMapUrl" ? await cMaps(filename.replace(/\.bcmap$/, "")) : null;
      if (!data) throw new Error(`No ${kind} data for ${filename}`);
      return data;
    }
  };
}
