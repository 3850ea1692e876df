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
  /** The text's bytes from `upload.written` on, not yet in a part, in pieces. */
  tail: Uint8Array[];
  /** Aborts an upload this slice created, if its commit never happens (a cancel won). */
  discard: () => Promise<void>;
}

export class TextParts {
  /** The committed tail, while this object instance has it: for `documentId`, bytes [from, from + bytes.length). */
  private memory: { documentId: string; from: number; pieces: Uint8Array[]; bytes: number } | null = null;

  constructor(private readonly store: PipelineStore) {}

  /** The committed text's bytes from `upload.written` to `textBytes`: from memory, or the kept rows after an eviction. */
  tail(documentId: string, upload: ObjectUpload, textBytes: number): Uint8Array[] {
    const m = this.memory;
    if (m && m.documentId === documentId && m.from === upload.written && m.from + m.bytes === textBytes) return m.pieces;
    const tail = this.store.tailFrom(upload.written);
    const kept = upload.written + byteLength(tail);
    if (kept !== textBytes) throw new Error(`The kept text ends at byte ${kept}, not ${textBytes}: the text tail is incomplete`);
    return tail;
  }

  /**
   * Appends `bytes` (the slice's text) to `tail` and uploads every whole part; `last`
   * uploads the rest and completes the object (one `put` when it fits in one part and
   * no upload was begun). Replaying a slice whose commit was lost rewrites the same
   * parts; a completion that already happened is recognised by the object's size.
   */
  async write(bucket: R2Bucket, key: string, before: ObjectUpload, tail: Uint8Array[], bytes: Uint8Array, last: boolean): Promise<PartsWritten> {
    // The pieces are joined only into whole parts: a tail is not copied slice after slice.
    const pending = new Pieces([...tail, bytes]);
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
      await bucket.put(key, pending.take(pending.length), { httpMetadata: { contentType: TEXT_TYPE } });
      return { upload: { uploadId: null, parts: [], written: size, complete: true }, tail: [], discard };
    }
    try {
      while (pending.length >= PART_BYTES || (last && pending.length > 0)) {
        const upload = fresh.uploadId
          ? bucket.resumeMultipartUpload(key, fresh.uploadId)
          : await bucket.createMultipartUpload(key, { httpMetadata: { contentType: TEXT_TYPE } });
        fresh.uploadId = upload.uploadId;
        const partNumber = Math.floor(fresh.written / PART_BYTES) + 1;
        const n = Math.min(PART_BYTES, pending.length);
        const part = await upload.uploadPart(partNumber, pending.take(n));
        fresh.parts = [...fresh.parts.filter((p) => p.partNumber !== partNumber), { partNumber, etag: part.etag }];
        fresh.written += n;
      }
      if (last) {
        await bucket.resumeMultipartUpload(key, fresh.uploadId!).complete(fresh.parts);
        fresh.complete = true;
      }
    } catch (err) {
      // A replayed last slice finds its upload already completed: the object is whole.
      if (last && (await bucket.head(key))?.size === size) return { upload: { ...fresh, written: size, complete: true }, tail: [], discard };
      await discard();
      throw err;
    }
    return { upload: fresh, tail: pending.rest(), discard };
  }

  /**
   * To run with the slice's commit: keeps the slice's bytes that are not in a part
   * (those from `sliceStart` on, past `written.upload.written`) and remembers the tail.
   */
  commit(documentId: string, written: PartsWritten, sliceStart: number): void {
    const from = written.upload.written;
    const bytes = byteLength(written.tail);
    const keepFrom = Math.max(sliceStart, from);
    // The slice's own bytes are the tail's last `from + bytes - keepFrom` bytes.
    this.store.keepTail(from, keepFrom, lastBytes(written.tail, from + bytes - keepFrom));
    this.memory = written.upload.complete ? null : { documentId, from, pieces: written.tail, bytes };
  }
}

/** Byte pieces in order, from which whole parts are cut. */
class Pieces {
  length: number;

  constructor(private pieces: Uint8Array[]) {
    this.pieces = pieces.filter((p) => p.length > 0);
    this.length = byteLength(this.pieces);
  }

  /** The first `n` bytes, removed (one copy, unless one piece holds them). */
  take(n: number): Uint8Array {
    const out: Uint8Array[] = [];
    let need = n;
    while (need > 0) {
      const p = this.pieces[0]!;
      if (p.length <= need) {
        out.push(p);
        this.pieces.shift();
        need -= p.length;
      } else {
        out.push(p.subarray(0, need));
        this.pieces[0] = p.subarray(need);
        need = 0;
      }
    }
    this.length -= n;
    return concatBytes(out);
  }

  /** What is left; a piece cut from a larger buffer is copied so the buffer can be freed. */
  rest(): Uint8Array[] {
    return this.pieces.map((p) => (p.byteOffset > 0 || p.length < p.buffer.byteLength ? p.slice() : p));
  }
}

function byteLength(pieces: Uint8Array[]): number {
  return pieces.reduce((n, p) => n + p.length, 0);
}

/** The last `n` bytes of `pieces`, joined. */
function lastBytes(pieces: Uint8Array[], n: number): Uint8Array {
  const out: Uint8Array[] = [];
  let need = n;
  for (let i = pieces.length - 1; i >= 0 && need > 0; i--) {
    const p = pieces[i]!;
    out.unshift(p.length <= need ? p : p.subarray(p.length - need));
    need -= Math.min(need, p.length);
  }
  return concatBytes(out);
}

const TEXT_TYPE = "text/plain; charset=utf-8";
