/** EXTRACTING a PDF: a few pages per slice, each page's text a segment with its page number. */
import { PipelineError } from "../../pipeline/errors";
import { extractPdfPages, openPdf, type PdfDocument } from "../../pipeline/extract/pdf";
import { PDF_PAGES_PER_SLICE } from "../../pipeline/limits";
import { appendSegments, type TextSegment } from "../../pipeline/segments";
import { sourceKey } from "../../storage-keys";
import type { Job } from "../lifecycle";
import type { ExtractingCheckpoint } from "../checkpoint";
import type { Stage, StageContext } from "./stage";

export const extractPdf: Stage<ExtractingCheckpoint> = async (job, cp, ctx) => {
  const doc = await openJobPdf(job, ctx);
  const pageCount = doc.pageCount;
  const from = cp.pagesDone + 1;
  const count = Math.min(PDF_PAGES_PER_SLICE, pageCount - cp.pagesDone);
  const pages = count > 0 ? await extractPdfPages(doc, from, count) : [];
  const next: ExtractingCheckpoint = { ...cp, pdfPages: pageCount, pagesDone: cp.pagesDone + count };
  const segments: TextSegment[] = [];
  for (const p of pages) {
    const text = p.page < pageCount ? `${p.text.trimEnd()}\n\n` : p.text.trimEnd();
    segments.push(...appendSegments(next, text, p.page));
  }
  const isLast = next.pagesDone >= pageCount;
  next.contentHash = ctx.digest.append(cp, segments, next.textBytes, isLast);
  const counters = { bytesRead: job.byteSize, pagesExtracted: next.pagesDone, charactersExtracted: next.chars };
  const persist = () => {
    for (const s of segments) ctx.store.putSegment(s);
    ctx.store.saveCheckpoint(next);
  };
  return isLast
    ? { kind: "stage-done", counters, persist }
    : { kind: "progress", fraction: next.pagesDone / pageCount, counters, persist };
};

async function openJobPdf(job: Job, ctx: StageContext): Promise<PdfDocument> {
  if (ctx.pdf?.jobId === job.id) return ctx.pdf.doc;
  const obj = await ctx.env.BUCKET.get(sourceKey(job));
  if (!obj) throw new PipelineError("SOURCE_UNAVAILABLE", "The uploaded source could not be read from storage", false);
  const doc = await openPdf(new Uint8Array(await obj.arrayBuffer()));
  ctx.pdf = { jobId: job.id, doc };
  return doc;
}
