import { describe, expect, it } from "vitest";
import { checkpointFor, type Checkpoint } from "../../src/jobs/checkpoint";

const id = () => "doc-1";

describe("checkpointFor", () => {
  it("starts a job's first slice with a fresh extracting checkpoint and a new document id", () => {
    expect(checkpointFor("EXTRACTING", null, id)).toMatchObject({ stage: "EXTRACTING", documentId: "doc-1", chars: 0, contentHash: null });
  });

  it("returns the stored checkpoint while the stage is the same", () => {
    const cp = checkpointFor("EXTRACTING", null, id) as Checkpoint;
    expect(checkpointFor("EXTRACTING", cp, () => "other")).toBe(cp);
  });

  it("carries the document and its text totals into the next stage, dropping the old stage's fields", () => {
    const extracted: Checkpoint = {
      ...(checkpointFor("EXTRACTING", null, id) as Checkpoint & { stage: "EXTRACTING" }),
      chars: 10,
      textBytes: 12,
      segments: 1,
      title: "T",
      contentHash: "ab",
    };
    const chunking = checkpointFor("CHUNKING", extracted, () => "other");
    expect(chunking).toEqual({
      stage: "CHUNKING",
      documentId: "doc-1",
      title: "T",
      pdfPages: null,
      chars: 10,
      textBytes: 12,
      segments: 1,
      analysis: null,
      contentHash: "ab",
      textParts: null,
      hashFromText: false,
      chunk: { ordinal: 0, start: 0 },
    });
    expect(checkpointFor("INDEXING", chunking, id)).toMatchObject({ stage: "INDEXING", contentHash: "ab", textUpload: null, tableUpload: null });
  });

  it("carries text written through: chunking at its end, the finished upload, and a hash still to take from the text", () => {
    const upload = { uploadId: "u", parts: [{ partNumber: 1, etag: "e" }], written: 12, complete: true };
    const extracted: Checkpoint = {
      ...(checkpointFor("EXTRACTING", null, id) as Checkpoint & { stage: "EXTRACTING" }),
      chars: 10,
      textBytes: 12,
      textParts: upload,
      hashFromText: true,
      chunking: { cursor: { ordinal: 3, start: 10 }, carry: "", carryByteStart: 12, carryHeadings: [] },
    };
    const chunking = checkpointFor("CHUNKING", extracted, id);
    expect(chunking).toMatchObject({ stage: "CHUNKING", chunk: { ordinal: 3, start: 10 }, contentHash: null, hashFromText: true, textParts: upload });
    expect(checkpointFor("INDEXING", chunking, id)).toMatchObject({ stage: "INDEXING", textUpload: upload, tableUpload: null, contentHash: null });
    // Without its hash, an extraction is finished only once its text is whole in R2.
    expect(checkpointFor("CHUNKING", { ...extracted, textParts: { ...upload, complete: false } }, id)).toBeNull();
  });

  it("refuses states that cannot lead to the stage: no content hash yet, or extraction restarted", () => {
    const extracting = checkpointFor("EXTRACTING", null, id);
    expect(checkpointFor("CHUNKING", extracting, id)).toBeNull();
    expect(checkpointFor("INDEXING", null, id)).toBeNull();
    const chunking = checkpointFor("CHUNKING", { ...(extracting as Checkpoint & { stage: "EXTRACTING" }), contentHash: "ab" }, id);
    expect(checkpointFor("EXTRACTING", chunking, id)).toBeNull();
  });
});
