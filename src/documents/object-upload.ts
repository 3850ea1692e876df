/**
 * Writes one R2 object across several slices with a multipart upload, so storing a
 * 100 MB document is bounded work per slice and resumes after an eviction: the upload
 * id and the parts' etags live in the job's checkpoint (plain JSON).
 *
 * R2 requires parts of at least 5 MiB, all the same size except the last
 * (developers.cloudflare.com/r2/objects/multipart-objects), so part `n` is always the
 * byte range [n·PART, (n+1)·PART) of the object. An object no bigger than one part is
 * written with a single `put`.
 */

/** R2's smallest part, which every part but the last must equal here. */
export const PART_BYTES = 5 * 1024 * 1024;

/** Where an object's upload stands; starts as `newUpload()`. */
export interface ObjectUpload {
  uploadId: string | null;
  parts: { partNumber: number; etag: string }[];
  /** Bytes of the object written so far; the object is complete when this is its size. */
  written: number;
  complete: boolean;
}

export function newUpload(): ObjectUpload {
  return { uploadId: null, parts: [], written: 0, complete: false };
}

/** Reads bytes [start, end) of the object being written. */
export type ByteSource = (start: number, end: number) => Uint8Array;

/**
 * One bounded step: writes the next part (creating the upload first if needed) and
 * completes the upload after the last one. Idempotent: replaying a step whose commit
 * was lost rewrites the same part, and a completion that already happened is detected
 * by the object's size.
 */
export async function writeNextPart(
  bucket: R2Bucket,
  key: string,
  size: number,
  state: ObjectUpload,
  read: ByteSource,
  contentType: string,
): Promise<ObjectUpload> {
  if (state.complete) return state;
  if (size <= PART_BYTES) {
    await bucket.put(key, read(0, size), { httpMetadata: { contentType } });
    return { uploadId: null, parts: [], written: size, complete: true };
  }
  try {
    const upload = state.uploadId
      ? bucket.resumeMultipartUpload(key, state.uploadId)
      : await bucket.createMultipartUpload(key, { httpMetadata: { contentType } });
    const partNumber = Math.floor(state.written / PART_BYTES) + 1;
    const end = Math.min(size, state.written + PART_BYTES);
    const part = await upload.uploadPart(partNumber, read(state.written, end));
    const parts = [...state.parts.filter((p) => p.partNumber !== partNumber), { partNumber, etag: part.etag }];
    if (end < size) return { uploadId: upload.uploadId, parts, written: end, complete: false };
    await upload.complete(parts);
    return { uploadId: upload.uploadId, parts, written: end, complete: true };
  } catch (err) {
    // A replayed last step finds its upload already completed: the object is whole.
    if ((await bucket.head(key))?.size === size) return { ...state, written: size, complete: true };
    throw err;
  }
}

/** Aborts an unfinished upload (a cancelled or failed job's); a finished one is left alone. */
export async function abortUpload(bucket: R2Bucket, key: string, state: ObjectUpload | null | undefined): Promise<void> {
  if (!state?.uploadId || state.complete) return;
  try {
    await bucket.resumeMultipartUpload(key, state.uploadId).abort();
  } catch {
    // Already aborted or completed; R2 also aborts incomplete uploads after 7 days.
  }
}
