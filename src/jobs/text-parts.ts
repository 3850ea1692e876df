/**
 * Text written through: the document text goes into its R2 multipart upload while it is
 * extracted, one 5 MiB part as soon as the slices have produced one, and the upload is
 * completed by the last slice. R2 wants every part but the last of one size, so the
 * bytes past the last full part (the tail, at most a part and a slice) wait in the
 * object's SQLite (`PipelineStore.keepTail`) and, while the object stays in memory, here;
 * the checkpoint keeps the upload id and the parts' etags (`ObjectUpload`). Nothing of the
 * text is read back from SQLite unless the object lost its memory.
 */
import { concatBytes } from "../bytes";
import { PART_BYTES, type ObjectUpload } from "../documents/object-upload";
import type { PipelineStore } from "./pipeline-store";

/** What a slice wrote: the upload after it, the tail left for the next slice, and what to undo if the slice is dropped. */
export interface PartsWritten {
  upload: ObjectUpload;
  /** The text's bytes from `upload.written` on, not yet in a part. */
  tail: Uint8Array;
  /** Aborts an upload this slice created, if its commit never happens (a cancel won). */
  discard: () => Promise<void>;
}

export class TextParts {
  /** The committed tail, while this object instance has it: for `documentId`, bytes [from, from + bytes.length). */
  private memory: { documentId: string; from: number; bytes: Uint8Array } | null = null;

  constructor(private readonly store: PipelineStore) {}

  /** The committed text's bytes from `upload.written` to `textBytes`: from memory, or the kept rows after an eviction. */
  tail(documentId: string, upload: ObjectUpload, textBytes: number): Uint8Array {
    const m = this.memory;
    if (m && m.documentId === documentId && m.from === upload.written && m.from + m.bytes.length === textBytes) return m.bytes;
    const tail = concatBytes(this.store.tailFrom(upload.written));
    if (upload.written + tail.length !== textBytes) {
      throw new Error(`The kept text ends at byte ${upload.written + tail.length}, not ${textBytes}: the text tail is incomplete`);
    }
    return tail;
  }

  /**
   * Appends `bytes` (the slice's text) to `tail` and uploads every whole part; `last`
   * uploads the rest and completes the object (one `put` when it fits in one part and
   * no upload was begun). Replaying a slice whose commit was lost rewrites the same
   * parts; a completion that already happened is recognised by the object's size.
   */
  async write(bucket: R2Bucket, key: string, before: ObjectUpload, tail: Uint8Array, bytes: Uint8Array, last: boolean): Promise<PartsWritten> {
    let pending = tail.length ? concatBytes([tail, bytes]) : bytes;
    const size = before.written + pending.length;
    const fresh = { uploadId: before.uploadId, parts: [...before.parts], written: before.written, complete: false };
    const discard = async () => {
      if (fresh.uploadId && fresh.uploadId !== before.uploadId)
        await bucket
          .resumeMultipartUpload(key, fresh.uploadId)
          .abort()
          .catch(() => undefined);
    };
    if (last && !before.uploadId && size <= PART_BYTES) {
      await bucket.put(key, pending, { httpMetadata: { contentType: TEXT_TYPE } });
      return { upload: { uploadId: null, parts: [], written: size, complete: true }, tail: new Uint8Array(0), discard };
    }
    try {
      while (pending.length >= PART_BYTES || (last && pending.length > 0)) {
        const upload = fresh.uploadId
          ? bucket.resumeMultipartUpload(key, fresh.uploadId)
          : await bucket.createMultipartUpload(key, { httpMetadata: { contentType: TEXT_TYPE } });
        fresh.uploadId = upload.uploadId;
        const partNumber = Math.floor(fresh.written / PART_BYTES) + 1;
        const n = Math.min(PART_BYTES, pending.length);
        const part = await upload.uploadPart(partNumber, pending.subarray(0, n));
        fresh.parts = [...fresh.parts.filter((p) => p.partNumber !== partNumber), { partNumber, etag: part.etag }];
        fresh.written += n;
        pending = pending.subarray(n);
      }
      if (last) {
        await bucket.resumeMultipartUpload(key, fresh.uploadId!).complete(fresh.parts);
        fresh.complete = true;
      }
    } catch (err) {
      // A replayed last slice finds its upload already completed: the object is whole.
      if (last && (await bucket.head(key))?.size === size) return { upload: { ...fresh, written: size, complete: true }, tail: new Uint8Array(0), discard };
      await discard();
      throw err;
    }
    // A copy: the pending view would hold the whole concatenation alive.
    return { upload: fresh, tail: pending.slice(), discard };
  }

  /**
   * To run with the slice's commit: keeps the slice's bytes that are not in a part
   * (those from `sliceStart` on, past `written.upload.written`) and remembers the tail.
   */
  commit(documentId: string, written: PartsWritten, sliceStart: number): void {
    const from = written.upload.written;
    const keepFrom = Math.max(sliceStart, from);
    this.store.keepTail(from, keepFrom, written.tail.subarray(keepFrom - from));
    this.memory = written.upload.complete ? null : { documentId, from, bytes: written.tail };
  }
}

const TEXT_TYPE = "text/plain; charset=utf-8";
