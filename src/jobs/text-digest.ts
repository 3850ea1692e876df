/**
 * The document's `contentHash`: a native SHA-256 (`node:crypto`) fed with the text as
 * extraction produces it, slice by slice. A native hash cannot be serialized into the
 * checkpoint, so it lives in the object's memory; when the object was evicted, or a
 * slice's text was not committed, it is rebuilt from the stored segments (one native
 * pass, at about 1 GB/s). No JavaScript SHA-256 and no resumable digest state needed.
 */
import type { Hash } from "node:crypto";
import { sha256 } from "../pipeline/sha256";
import type { TextSegment } from "../pipeline/segments";
import type { ExtractingCheckpoint } from "./checkpoint";
import type { PipelineStore } from "./pipeline-store";

export class TextDigest {
  private state: { documentId: string; bytes: number; hash: Hash } | null = null;

  constructor(private readonly store: PipelineStore) {}

  /**
   * Adds a slice's new `segments` to the hash of the text committed up to `cp`, which
   * will then hold `bytesAfter` bytes; returns the hex digest when `finish`. `utf8`: the
   * segments' text already encoded (the slice's input bytes, when extraction returned
   * them unchanged), hashed as is instead of encoding the strings again.
   */
  append(cp: ExtractingCheckpoint, segments: TextSegment[], bytesAfter: number, finish: boolean, utf8: Uint8Array | null = null): string | null {
    const hash = this.committed(cp);
    if (utf8) hash.update(utf8);
    else for (const s of segments) hash.update(s.text);
    if (!finish) {
      this.state = { documentId: cp.documentId, bytes: bytesAfter, hash };
      return null;
    }
    this.state = null;
    return hash.digest("hex");
  }

  /**
   * As `append`, for text written through to R2 (`text-parts.ts`): there are no segments
   * to rebuild a lost hash from, so when memory no longer holds the hash of the committed
   * text (or lost it before), nothing is hashed and `lost` says the finished text in R2
   * is to be hashed instead.
   */
  appendWritten(cp: ExtractingCheckpoint, utf8: Uint8Array, bytesAfter: number, finish: boolean): { hash: string | null; lost: boolean } {
    const s = this.state;
    const held = s && s.documentId === cp.documentId && s.bytes === cp.textBytes;
    if (cp.hashFromText || (!held && cp.textBytes > 0)) {
      this.state = null;
      return { hash: null, lost: true };
    }
    const hash = held ? s.hash : sha256();
    hash.update(utf8);
    if (!finish) {
      this.state = { documentId: cp.documentId, bytes: bytesAfter, hash };
      return { hash: null, lost: false };
    }
    this.state = null;
    return { hash: hash.digest("hex"), lost: false };
  }

  /** The hash of exactly the committed text, rebuilt from the segments when memory lost it. */
  private committed(cp: ExtractingCheckpoint): Hash {
    if (this.state && this.state.documentId === cp.documentId && this.state.bytes === cp.textBytes) return this.state.hash;
    const hash = sha256();
    for (let seq = 0; seq < cp.segments; seq++) hash.update(this.store.segment(seq)?.text ?? "");
    return hash;
  }
}
