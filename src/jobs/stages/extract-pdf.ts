/**
 * EXTRACTING a PDF. The first slice only measures the file (src/pipeline/extract/pdf-scan.ts:
 * distinct pages, each relevant stream inflated with a cap, decoded bytes per page) and
 * plans the slices by decoded bytes; it refuses a file past a limit before pdf.js parses
 * any page. A file the scan cannot measure but pdf.js opens is planned from pdf.js's page
 * count and an estimate per page, so the page limit and the per-slice budget still hold.
 * Each later slice extracts the pages of one planned slice (pdf-text.ts cleans them),
 * each page's text a segment with its page number; a page pdf.js fails on is skipped and
 * named in the job's `errors[]`.
 */
import { PipelineError } from "../../pipeline/errors";
import { PACKED_CMAPS } from "../../pipeline/extract/cmaps";
import { extractPdfPages, openPdf, type PdfDocument } from "../../pipeline/extract/pdf";
import { estimatePageBytes, planPdfSlices, scanPdf } from "../../pipeline/extract/pdf-scan";
import { pdfSliceText } from "../../pipeline/extract/pdf-text";
import { checkLimits, limitExceeded, PDF_PAGES_PER_SLICE } from "../../pipeline/limits";
import { appendSegments, type TextSegment } from "../../pipeline/segments";
import { sourceKey } from "../../storage-keys";
import type { Job, JobError } from "../lifecycle";
import type { ExtractingCheckpoint } from "../checkpoint";
import { noteText } from "./empty-document";
import type { Stage, StageContext } from "./stage";

/** Unreadable pages named one by one in `errors[]`; past this many only the count grows. */
const MAX_PAGE_ERRORS = 20;

export const extractPdf: Stage<ExtractingCheckpoint> = async (job, cp, ctx) => {
  if (!cp.pdfSlices) return measurePdf(job, cp, ctx);
  const doc = await openJobPdf(job, ctx);
  const pageCount = doc.pageCount;
  const slice = cp.pdfSlices.ends.findIndex((end) => end > cp.pagesDone);
  const count = slice < 0 ? 0 : cp.pdfSlices.ends[slice]! - cp.pagesDone;
  const sliceBytes = slice < 0 ? 0 : cp.pdfSlices.bytes[slice]!;
  ctx.work.bytes += sliceBytes;
  const text = pdfSliceText(count > 0 ? await extractPdfPages(doc, cp.pagesDone + 1, count) : [], pageCount);
  const next: ExtractingCheckpoint = {
    ...cp,
    pagesDone: cp.pagesDone + count,
    heaviestSliceBytes: Math.max(cp.heaviestSliceBytes ?? 0, sliceBytes),
    charsDropped: (cp.charsDropped ?? 0) + text.dropped,
    pagesFailed: (cp.pagesFailed ?? 0) + text.failed.length,
  };
  const skipped: Omit<JobError, "at" | "stage">[] = text.failed
    .filter((_, i) => (cp.pagesFailed ?? 0) + i < MAX_PAGE_ERRORS)
    .map((f) => ({ code: "PDF_PAGE_UNREADABLE", message: `Page ${f.page} could not be read and was skipped: ${f.error}` }));
  const segments: TextSegment[] = [];
  for (const p of text.pages) segments.push(...appendSegments(next, p.text, p.page));
  checkLimits(ctx.limits, { chars: next.chars });
  const isLast = next.pagesDone >= pageCount;
  if (isLast && next.pagesFailed === pageCount) {
    throw new PipelineError("PDF_CORRUPT", "The PDF is corrupt: pdf.js could not read any of its pages", true);
  }
  noteText(cp, next, segments.map((s) => s.text).join(""), isLast, "pdf");
  next.contentHash = ctx.digest.append(cp, segments, next.textBytes, isLast);
  const counters = {
    bytesRead: job.byteSize,
    pagesExtracted: next.pagesDone,
    charactersExtracted: next.chars,
    charactersDropped: next.charsDropped ?? 0,
  };
  const persist = () => {
    for (const s of segments) ctx.store.putSegment(s);
    ctx.store.saveCheckpoint(next);
  };
  return isLast ? { kind: "stage-done", counters, persist, skipped } : { kind: "progress", fraction: next.pagesDone / pageCount, counters, persist, skipped };
};

/** The first slice: measure, refuse past a limit, plan the slices by decoded bytes. */
async function measurePdf(job: Job, cp: ExtractingCheckpoint, ctx: StageContext) {
  const limits = ctx.limits;
  if (job.byteSize > limits.maxPdfBytes) throw limitExceeded(`a PDF larger than ${limits.maxPdfBytes} bytes`);
  const bytes = await sourceBytes(job, ctx);
  // Measuring may inflate a lot: it is the alarm's whole work.
  ctx.work.bytes += limits.sliceDecodedBytes;
  const scan = await scanPdf(bytes, limits);
  const doc = await openPdf(bytes, { cMaps: bundledCMap });
  ctx.pdf = { jobId: job.id, doc };
  // pdf.js's count is what it will walk: bounded before any page is parsed.
  checkLimits(limits, { pages: doc.pageCount });
  const pageBytes = scan.measured && scan.pages === doc.pageCount ? scan.pageBytes : estimatePageBytes(doc.pageCount, bytes.length, limits.sliceDecodedBytes);
  const next: ExtractingCheckpoint = {
    ...cp,
    pdfPages: doc.pageCount,
    pdfSlices: planPdfSlices(pageBytes, limits.sliceDecodedBytes, PDF_PAGES_PER_SLICE),
    heaviestSliceBytes: 0,
  };
  return {
    kind: "progress" as const,
    fraction: 0,
    counters: { bytesRead: job.byteSize },
    persist: () => ctx.store.saveCheckpoint(next),
  };
}

/** pdf.js's CMaps from the Worker's own bundle. */
function bundledCMap(name: string): Uint8Array | null {
  const data = PACKED_CMAPS[name];
  return data ? new Uint8Array(data) : null;
}

async function openJobPdf(job: Job, ctx: StageContext): Promise<PdfDocument> {
  if (ctx.pdf?.jobId === job.id) return ctx.pdf.doc;
  const doc = await openPdf(await sourceBytes(job, ctx), { cMaps: bundledCMap });
  ctx.pdf = { jobId: job.id, doc };
  return doc;
}

async function sourceBytes(job: Job, ctx: StageContext): Promise<Uint8Array> {
  const obj = await ctx.env.BUCKET.get(sourceKey(job));
  if (!obj) throw new PipelineError("SOURCE_UNAVAILABLE", "The uploaded source could not be read from storage", false);
  return new Uint8Array(await obj.arrayBuffer());
}
