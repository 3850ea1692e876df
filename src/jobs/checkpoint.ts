/**
 * The pipeline's checkpoint: a union keyed by stage, plain JSON, saved in the job's
 * object after every committed slice. Each stage reads only its own variant; entering
 * a stage turns the previous stage's (finished) checkpoint into the new stage's first
 * one (`checkpointFor`). Pure.
 */
import type { ObjectUpload } from "../documents/object-upload";
import type { SimHasherState } from "../pipeline/analyze";
import type { ChunkCursor } from "../pipeline/chunker";
import type { ExtractState } from "../pipeline/extract";
import type { LanguageGuesserState } from "../pipeline/language";
import type { JobStage } from "./lifecycle";

/** What a deep scan found. */
export interface Analysis {
  simhash: string;
  language: string | null;
  duplicateOf: string | null;
}

/** What every stage carries: the document being built and its text so far. */
interface DocumentSoFar {
  documentId: string;
  title: string | null;
  /** Pages of a PDF source; null for text. */
  pdfPages: number | null;
  /** The extracted text: characters (UTF-16 units), UTF-8 bytes, stored segments. */
  chars: number;
  textBytes: number;
  segments: number;
  analysis: Analysis | null;
  /**
   * Text written through: the text's R2 upload, part by part as extraction produces it
   * (`text-parts.ts`); absent for a job whose text is staged as segments (a PDF, a deep
   * scan, or a job begun before text was written through).
   */
  textParts?: ObjectUpload | null;
  /**
   * The running content hash was lost with the object's memory (text written through has
   * no segments to rebuild it from): INDEXING hashes the finished text in R2 instead.
   */
  hashFromText?: boolean;
}

/** Text written through is chunked as it is extracted: where chunking stands between slices. */
export interface ChunkingAsExtracted {
  cursor: ChunkCursor;
  /** The text from `cursor.start` on, not yet chunked (at most a chunk's lookahead). */
  carry: string;
  /** UTF-8 offset of `cursor.start` in the document text. */
  carryByteStart: number;
  /** Headings (absolute char offsets) at or after `cursor.start`. */
  carryHeadings: number[];
}

export interface ExtractingCheckpoint extends DocumentSoFar {
  stage: "EXTRACTING";
  /** Text sources: bytes consumed, held-back partial UTF-8 bytes, extractor state. */
  sourceOffset: number;
  carry: number[];
  extract: ExtractState | null;
  /** PDF sources: pages extracted. */
  pagesDone: number;
  /** PDF sources: the extraction slices as measured before parsing (pdf-scan), set by the first slice. */
  pdfSlices?: { ends: number[]; bytes: number[] } | null;
  /** PDF sources: junk characters dropped so far (fonts with no Unicode map). */
  charsDropped?: number;
  /** PDF sources: pages pdf.js could not read, skipped. */
  pagesFailed?: number;
  /** The most decoded bytes one PDF extraction slice has parsed so far (tests read it). */
  heaviestSliceBytes?: number;
  /** Whether any text other than whitespace has been extracted (an empty document fails: EMPTY_DOCUMENT). */
  sawText?: boolean;
  /** Text sources: offset of the last heading stored (closer ones are not: MIN_HEADING_GAP). */
  lastHeading?: number | null;
  /** Text written through: chunking so far. */
  chunking?: ChunkingAsExtracted | null;
  /** SHA-256 of the whole text, set by the last slice. */
  contentHash: string | null;
}

/** After extraction the content hash is known, unless it is to be taken from the finished text (`hashFromText`). */
interface Extracted extends DocumentSoFar {
  contentHash: string | null;
}

export interface ChunkingCheckpoint extends Extracted {
  stage: "CHUNKING";
  chunk: ChunkCursor;
}

export interface AnalyzingCheckpoint extends Extracted {
  stage: "ANALYZING";
  analyzedSegments: number;
  simhasher: SimHasherState | null;
  language: LanguageGuesserState | null;
}

export interface IndexingCheckpoint extends Extracted {
  stage: "INDEXING";
  /** The text's and the chunk table's R2 uploads. */
  textUpload: ObjectUpload | null;
  tableUpload: ObjectUpload | null;
}

export type Checkpoint = ExtractingCheckpoint | ChunkingCheckpoint | AnalyzingCheckpoint | IndexingCheckpoint;

/** A checkpoint with work to do in the pipeline (the job's stage is one of these). */
export type WorkingStage = Checkpoint["stage"];

/**
 * The checkpoint for a slice of `stage`: the stored one if it is of that stage; the
 * first one of `stage` built from the finished earlier stage; a fresh one for the first
 * slice of a job. Null when the stored state cannot lead to `stage` (a bug, not input).
 */
export function checkpointFor(stage: JobStage, stored: Checkpoint | null, newDocumentId: () => string): Checkpoint | null {
  if (stored?.stage === stage) return stored;
  if (stage === "EXTRACTING") {
    if (stored) return null;
    return {
      stage,
      documentId: newDocumentId(),
      title: null,
      pdfPages: null,
      chars: 0,
      textBytes: 0,
      segments: 0,
      analysis: null,
      sourceOffset: 0,
      carry: [],
      extract: null,
      pagesDone: 0,
      contentHash: null,
    };
  }
  if (!stored || !extractionFinished(stored)) return null;
  const carried: Extracted = {
    documentId: stored.documentId,
    title: stored.title,
    pdfPages: stored.pdfPages,
    chars: stored.chars,
    textBytes: stored.textBytes,
    segments: stored.segments,
    analysis: stored.analysis,
    contentHash: stored.contentHash,
    textParts: stored.textParts ?? null,
    hashFromText: stored.hashFromText ?? false,
  };
  switch (stage) {
    case "CHUNKING": {
      // Text written through was chunked as it was extracted: the cursor is at its end.
      const chunking = stored.stage === "EXTRACTING" ? stored.chunking : null;
      return { ...carried, stage, chunk: chunking?.cursor ?? { ordinal: 0, start: 0 } };
    }
    case "ANALYZING":
      return { ...carried, stage, analyzedSegments: 0, simhasher: null, language: null };
    case "INDEXING":
      return { ...carried, stage, textUpload: stored.textParts ?? null, tableUpload: null };
    default:
      return null;
  }
}

/** Whether the stored checkpoint ends a finished extraction: its hash is known, or its text is whole in R2 to be hashed there. */
function extractionFinished(cp: Checkpoint): boolean {
  return cp.contentHash !== null || (cp.hashFromText === true && cp.textParts?.complete === true);
}
