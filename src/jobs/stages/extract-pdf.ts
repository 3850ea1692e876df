/**
 * EXTRACTING a PDF. The first slice only measures the file (src/pipeline/extract/pdf-scan.ts:
 * distinct pages, each relevant stream inflated with a cap, decoded bytes per page) and
 * plans the slices by decoded bytes; it refuses a file past a limit before pdf.js parses
 * any page. Each later slice extracts the pages of one planned slice, each page's text a
 * segment with its page number.
 */
import { PipelineError } from "../../pipeline/errors";
import { extractPdfPages, openPdf, type PdfDocument } from "../../pipeline/extract/pdf";
import { planPdfSlices, scanPdf } from "../../pipeline/extract/pdf-scan";
import { checkLimits, limitExceeded, PDF_PAGES_PER_SLICE } from "../../pipeline/limits";
import { appendSegments, type TextSegment } from "../../pipeline/segments";
import { sourceKey } from "../../storage-keys";
import type { Job } from "../lifecycle";
import type { ExtractingCheckpoint } from "../checkpoint";
import { noteText } from "./empty-document";
import type { Stage, StageContext } from "./stage";

export const extractPdf: Stage<ExtractingCheckpoint> = async (job, cp, ctx) => {
  if (!cp.pdfSlices) return measurePdf(job, cp, ctx);
  const doc = await openJobPdf(job, ctx);
  const pageCount = doc.pageCount;
  const slice = cp.pdfSlices.ends.findIndex((end) => end > cp.pagesDone);
  const count = slice < 0 ? 0 : cp.pdfSlices.ends[slice]! - cp.pagesDone;
  const sliceBytes = slice < 0 ? 0 : cp.pdfSlices.bytes[slice]!;
  ctx.work.bytes += sliceBytes;
  const pages = count > 0 ? await extractPdfPages(doc, cp.pagesDone + 1, count) : [];
  const next: ExtractingCheckpoint = {
    ...cp,
    pagesDone: cp.pagesDone + count,
    heaviestSliceBytes: Math.max(cp.heaviestSliceBytes ?? 0, sliceBytes),
  };
  const segments: TextSegment[] = [];
  for (const p of pages) {
    const text = p.page < pageCount ? `${p.text.trimEnd()}\n\n` : p.text.trimEnd();
    segments.push(...appendSegments(next, text, p.page));
  }
  checkLimits(ctx.limits, { chars: next.chars });
  const isLast = next.pagesDone >= pageCount;
  noteText(cp, next, segments.map((s) => s.text).join(""), isLast, "pdf");
  next.contentHash = ctx.digest.append(cp, segments, next.textBytes, isLast);
  const counters = { bytesRead: job.byteSize, pagesExtracted: next.pagesDone, charactersExtracted: next.chars };
  const persist = () => {
    for (const s of segments) ctx.store.putSegment(s);
    ctx.store.saveCheckpoint(next);
  };
  return isLast ? { kind: "stage-done", counters, persist } : { kind: "progress", fraction: next.pagesDone / pageCount, counters, persist };
};

/** The first slice: measure, refuse past a limit, plan the slices by decoded bytes. */
async function measurePdf(job: Job, cp: ExtractingCheckpoint, ctx: StageContext) {
  const limits = ctx.limits;
  if (job.byteSize > limits.maxPdfBytes) throw limitExceeded(`a PDF larger than ${limits.maxPdfBytes} bytes`);
  const bytes = await sourceBytes(job, ctx);
  // Measuring may inflate a lot: it is the alarm's whole work.
  ctx.work.bytes += limits.sliceDecodedBytes;
  const scan = await scanPdf(bytes, limits);
  const doc = await openPdf(bytes);
  ctx.pdf = { jobId: job.id, doc };
  if (doc.pageCount !== scan.pages) {
    throw new PipelineError("PDF_CORRUPT", `The PDF is corrupt: it claims ${doc.pageCount} pages and has ${scan.pages}`, true);
  }
  const next: ExtractingCheckpoint = {
    ...cp,
    pdfPages: scan.pages,
    pdfSlices: planPdfSlices(scan.pageBytes, limits.sliceDecodedBytes, PDF_PAGES_PER_SLICE),
    heaviestSliceBytes: 0,
  };
  return {
    kind: "progress" as const,
    fraction: 0,
    counters: { bytesRead: job.byteSize },
    persist: () => ctx.store.saveCheckpoint(next),
  };
}

async function openJobPdf(job: Job, ctx: StageContext): Promise<PdfDocument> {
  if (ctx.pdf?.jobId === job.id) return ctx.pdf.doc;
  const doc = await openPdf(await sourceBytes(job, ctx));
  ctx.pdf = { jobId: job.id, doc };
  return doc;
}

async function sourceBytes(job: Job, ctx: StageContext): Promise<Uint8Array> {
  const obj = await ctx.env.BUCKET.get(sourceKey(job));
  if (!obj) throw new PipelineError("SOURCE_UNAVAILABLE", "The uploaded source could not be read from storage", false);
  return new Uint8Array(await obj.arrayBuffer());
}
