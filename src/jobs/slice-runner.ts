/**
 * Runs one bounded slice of a job's pipeline (DESIGN §1): reads what the checkpoint
 * says is next, does a bounded amount of work on real bytes, and returns an outcome
 * whose `persist` stages the checkpoint and the slice's rows. The object calls
 * `persist` only if the job is still running, in the same synchronous block as the
 * job commit, so a cancelled slice commits nothing and a replayed one rewrites the
 * same rows (every write is keyed by position: segment seq, heading offset, ordinal).
 */
import { concatBytes } from "../bytes";
import type { Env } from "../env";
import type { Job, JobCounters } from "./lifecycle";
import { PipelineStore, type Checkpoint, type Segment } from "./pipeline-store";
import { PipelineError } from "../pipeline/errors";
import { completeUtf8Length } from "../pipeline/utf8";
import { sha256Hex } from "../pipeline/sha256";
import { appendSegments, pageAt, textHash } from "../pipeline/segments";
import { extractSlice, initialExtractState, type TextKind } from "../pipeline/extract";
import { extractPdfPages, openPdf, type PdfDocument } from "../pipeline/extract/pdf";
import { chunkLookahead, planChunks } from "../pipeline/chunker";
import { LanguageGuesser, SimHasher } from "../pipeline/analyze";
import {
  ANALYZE_SEGMENTS_PER_SLICE,
  CHUNK_WINDOW_CHARS,
  INDEX_CHUNKS_PER_SLICE,
  PDF_PAGES_PER_SLICE,
  SOURCE_SLICE_BYTES,
} from "../pipeline/limits";
import { deleteDocumentOutputs, findDuplicate, insertDocument, storeChunks, storeText, textKey } from "../documents/document-store";

type Persist = () => void;

/** Longest error message kept in a job's `errors[]`. */
const MAX_ERROR_MESSAGE = 300;

export type SliceOutcome =
  | { kind: "progress"; fraction: number; counters: Partial<JobCounters>; persist: Persist }
  | { kind: "stage-done"; counters: Partial<JobCounters>; persist: Persist }
  | { kind: "completed"; documentId: string; counters: Partial<JobCounters>; persist: Persist }
  | { kind: "failed"; code: string; message: string; permanent: boolean };

export function sourceKey(job: Pick<Job, "projectId" | "id">): string {
  return `sources/${job.projectId}/${job.id}`;
}

function kindOf(mimeType: string): TextKind | "pdf" {
  if (mimeType === "application/pdf") return "pdf";
  if (mimeType === "text/markdown") return "markdown";
  if (mimeType === "text/html") return "html";
  return "text";
}

export class PipelineRunner {
  private readonly store: PipelineStore;
  /** The open PDF of this job, kept across slices while the object stays in memory. */
  private pdf: { jobId: string; doc: PdfDocument } | null = null;

  constructor(storage: DurableObjectStorage, private readonly env: Env) {
    this.store = new PipelineStore(storage);
  }

  /** Runs the next slice of `job`'s current stage. Never throws: failures are outcomes. */
  async runSlice(job: Job): Promise<SliceOutcome> {
    const cp = this.store.checkpoint() ?? this.initial();
    try {
      switch (job.stage) {
        case "EXTRACTING":
          return kindOf(job.mimeType) === "pdf" ? await this.extractPdf(job, cp) : await this.extractText(job, cp);
        case "CHUNKING":
          return await this.chunk(job, cp);
        case "ANALYZING":
          return await this.analyze(job, cp);
        case "INDEXING":
          return await this.index(job, cp);
        default:
          return { kind: "failed", code: "INVALID_STAGE", message: `No work for stage ${job.stage}`, permanent: true };
      }
    } catch (err) {
      if (err instanceof PipelineError) return { kind: "failed", code: err.code, message: err.message, permanent: err.permanent };
      // Storage errors can carry whole statements; the job keeps the first line, bounded.
      const message = (err instanceof Error ? err.message : String(err)).split("\n")[0]!.slice(0, MAX_ERROR_MESSAGE);
      return { kind: "failed", code: "TRANSIENT", message, permanent: false };
    }
  }

  /** Removes a finished job's working rows, and an unfinished job's D1/R2 outputs. */
  async cleanUp(job: Job): Promise<void> {
    const cp = this.store.checkpoint();
    if (cp && job.status !== "COMPLETED") await deleteDocumentOutputs(this.env, job, cp.documentId);
    if (job.deletedAt) await this.env.BUCKET.delete(sourceKey(job));
    if (job.status !== "RUNNING" && job.status !== "QUEUED") {
      this.store.clear();
      this.pdf = null;
    }
  }

  private initial(): Checkpoint {
    return {
      documentId: crypto.randomUUID(),
      sourceOffset: 0,
      carry: [],
      extract: null,
      pdfPages: null,
      pagesDone: 0,
      chars: 0,
      textBytes: 0,
      segments: 0,
      sha: null,
      contentHash: null,
      chunk: { ordinal: 0, start: 0 },
      analyzedSegments: 0,
      simhasher: null,
      language: null,
      analysis: null,
      textStored: false,
      chunksIndexed: 0,
      title: null,
    };
  }

  /** One R2 range of a text source → extracted text, hashed and stored as segments. */
  private async extractText(job: Job, cp: Checkpoint): Promise<SliceOutcome> {
    const length = Math.min(SOURCE_SLICE_BYTES, job.byteSize - cp.sourceOffset);
    let body = new Uint8Array(0);
    if (length > 0) {
      const obj = await this.env.BUCKET.get(sourceKey(job), { range: { offset: cp.sourceOffset, length } });
      if (!obj) throw new PipelineError("SOURCE_UNAVAILABLE", "The uploaded source could not be read from storage", false);
      body = new Uint8Array(await obj.arrayBuffer());
    }
    const end = cp.sourceOffset + body.length;
    const isLast = end >= job.byteSize;
    const bytes = concatBytes([Uint8Array.from(cp.carry), body]);
    const complete = isLast ? bytes.length : completeUtf8Length(bytes);
    // ignoreBOM: a fresh decoder would drop U+FEFF at the start of *every* range, making
    // the text depend on where ranges fall; the extractor strips the document's own BOM.
    const input = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(bytes.subarray(0, complete));
    const state = cp.extract ?? initialExtractState(kindOf(job.mimeType) as TextKind);
    const out = extractSlice(input, state, isLast, cp.chars);
    const next: Checkpoint = {
      ...cp,
      sourceOffset: end,
      carry: Array.from(bytes.subarray(complete)),
      extract: out.state,
      // The document's title: its first heading, if it has one.
      title: cp.title ?? out.headings[0]?.title ?? null,
    };
    const segments = appendSegments(next, out.text, null);
    if (isLast) {
      // An HTML page's <title> names it better than its first heading.
      if (out.state.kind === "html" && out.state.title) next.title = out.state.title;
      next.contentHash = textHash(next);
    }
    const counters = { bytesRead: end, charactersExtracted: next.chars };
    const persist = () => {
      for (const s of segments) this.store.putSegment(s);
      for (const h of out.headings) this.store.putHeading(h.offset, h.level, h.title);
      this.store.saveCheckpoint(next);
    };
    return isLast
      ? { kind: "stage-done", counters, persist }
      : { kind: "progress", fraction: end / job.byteSize, counters, persist };
  }

  /** A few PDF pages → text segments carrying their page numbers. */
  private async extractPdf(job: Job, cp: Checkpoint): Promise<SliceOutcome> {
    const doc = await this.openPdf(job);
    const pageCount = doc.pageCount;
    const from = cp.pagesDone + 1;
    const count = Math.min(PDF_PAGES_PER_SLICE, pageCount - cp.pagesDone);
    const pages = count > 0 ? await extractPdfPages(doc, from, count) : [];
    const next: Checkpoint = { ...cp, pdfPages: pageCount, pagesDone: cp.pagesDone + count };
    const segments: Segment[] = [];
    for (const p of pages) {
      const text = p.page < pageCount ? `${p.text.trimEnd()}\n\n` : p.text.trimEnd();
      segments.push(...appendSegments(next, text, p.page));
    }
    const isLast = next.pagesDone >= pageCount;
    if (isLast) next.contentHash = textHash(next);
    const counters = { bytesRead: job.byteSize, pagesExtracted: next.pagesDone, charactersExtracted: next.chars };
    const persist = () => {
      for (const s of segments) this.store.putSegment(s);
      this.store.saveCheckpoint(next);
    };
    return isLast
      ? { kind: "stage-done", counters, persist }
      : { kind: "progress", fraction: next.pagesDone / pageCount, counters, persist };
  }

  private async openPdf(job: Job): Promise<PdfDocument> {
    if (this.pdf?.jobId === job.id) return this.pdf.doc;
    const obj = await this.env.BUCKET.get(sourceKey(job));
    if (!obj) throw new PipelineError("SOURCE_UNAVAILABLE", "The uploaded source could not be read from storage", false);
    const doc = await openPdf(new Uint8Array(await obj.arrayBuffer()));
    this.pdf = { jobId: job.id, doc };
    return doc;
  }

  /** Plans the chunks of the next window of text; a window's decisions are final. */
  private async chunk(job: Job, cp: Checkpoint): Promise<SliceOutcome> {
    const opts = { size: job.options.chunkSize, overlap: job.options.chunkOverlap };
    const start = cp.chunk.start;
    const segments = this.store.segmentsFrom(start, CHUNK_WINDOW_CHARS + chunkLookahead(opts));
    const windowStart = segments[0]?.charStart ?? start;
    const window = segments.map((s) => s.text).join("");
    const eof = windowStart + window.length >= cp.chars;
    const headings = this.store.headingOffsets(windowStart, windowStart + window.length);
    const plan = planChunks(window, windowStart, eof, cp.chunk, headings, opts);
    // Only offsets and hashes are kept: indexing cuts the text from the segments again.
    const chunks = await Promise.all(
      plan.chunks.map(async ({ ordinal, charStart, charEnd, text }) => ({
        ordinal,
        charStart,
        charEnd,
        page: pageAt(segments, charStart),
        contentHash: await sha256Hex(text),
      })),
    );
    const next: Checkpoint = { ...cp, chunk: plan.cursor };
    const counters = { chunksCreated: plan.cursor.ordinal };
    const persist = () => {
      for (const c of chunks) this.store.putChunk(c);
      this.store.saveCheckpoint(next);
    };
    return plan.done
      ? { kind: "stage-done", counters, persist }
      : { kind: "progress", fraction: cp.chars ? plan.cursor.start / cp.chars : 1, counters, persist };
  }

  /** Deep scan: SimHash and language over the text, then duplicate look-ups in D1. */
  private async analyze(job: Job, cp: Checkpoint): Promise<SliceOutcome> {
    const hasher = cp.simhasher ? SimHasher.fromState(cp.simhasher as never) : new SimHasher();
    const guesser = cp.language ? LanguageGuesser.fromState(cp.language as never) : new LanguageGuesser();
    let seq = cp.analyzedSegments;
    for (let n = 0; n < ANALYZE_SEGMENTS_PER_SLICE && seq < cp.segments; n++, seq++) {
      const text = this.store.segment(seq)?.text ?? "";
      hasher.update(text);
      guesser.update(text);
    }
    const next: Checkpoint = { ...cp, analyzedSegments: seq, simhasher: hasher.toState(), language: guesser.toState() };
    if (seq < cp.segments) {
      return { kind: "progress", fraction: seq / cp.segments, counters: {}, persist: () => this.store.saveCheckpoint(next) };
    }
    const simhash = hasher.digest();
    const duplicateOf = await findDuplicate(this.env, job.projectId, cp.contentHash!, simhash);
    next.analysis = { simhash, language: guesser.guess(), duplicateOf };
    return {
      kind: "stage-done",
      counters: { duplicatesFound: duplicateOf ? 1 : 0 },
      persist: () => this.store.saveCheckpoint(next),
    };
  }

  /**
   * Text to R2 first, then chunks to D1 in batches, and the document row last, so a
   * document is visible only once everything it points at exists.
   */
  private async index(job: Job, cp: Checkpoint): Promise<SliceOutcome> {
    const total = this.store.chunkCount();
    if (!cp.textStored) {
      await storeText(this.env, textKey(job.projectId, cp.documentId), cp.textBytes, this.segmentStream(cp.segments));
      const next = { ...cp, textStored: true };
      return { kind: "progress", fraction: 0.05, counters: {}, persist: () => this.store.saveCheckpoint(next) };
    }
    if (cp.chunksIndexed < total) {
      const batch = this.store.chunkTexts(cp.chunksIndexed, INDEX_CHUNKS_PER_SLICE);
      await storeChunks(this.env, job.projectId, cp.documentId, batch);
      const indexed = cp.chunksIndexed + batch.length;
      const next = { ...cp, chunksIndexed: indexed };
      return {
        kind: "progress",
        fraction: 0.05 + 0.9 * (indexed / total),
        counters: { chunksIndexed: indexed },
        persist: () => this.store.saveCheckpoint(next),
      };
    }
    await insertDocument(this.env, {
      id: cp.documentId,
      projectId: job.projectId,
      jobId: job.id,
      title: cp.title ?? job.originalFilename,
      mimeType: job.mimeType,
      pageCount: cp.pdfPages,
      characterCount: cp.chars,
      chunkCount: total,
      contentHash: cp.contentHash!,
      simhash: cp.analysis?.simhash ?? null,
      language: cp.analysis?.language ?? null,
      duplicateOf: cp.analysis?.duplicateOf ?? null,
      textKey: textKey(job.projectId, cp.documentId),
      createdAt: Date.now(),
    });
    return {
      kind: "completed",
      documentId: cp.documentId,
      counters: { chunksIndexed: total },
      persist: () => {
        this.store.saveCheckpoint(cp);
        this.store.clear();
      },
    };
  }

  /** The document text, one segment at a time, so no slice holds all of it. */
  private segmentStream(count: number): ReadableStream<Uint8Array> {
    let seq = 0;
    const encoder = new TextEncoder();
    return new ReadableStream<Uint8Array>({
      pull: (controller) => {
        if (seq >= count) return controller.close();
        controller.enqueue(encoder.encode(this.store.segment(seq)?.text ?? ""));
        seq += 1;
      },
    });
  }
}
