/**
 * Streams a downloaded PDF into R2 with its checks applied on the way: `%PDF-` within the
 * first KiB (an HTML error page or a captcha is refused before anything is stored) and
 * at most `maxBytes` (refused as soon as the stream passes it, never buffered whole).
 * Memory stays at one multipart part: a body of unknown length is written part by part,
 * and one no bigger than a part with a single `put`.
 */
import { PART_BYTES } from "../documents/object-upload";

/** The header every PDF starts with, allowed a little leading junk as readers allow. */
const PDF_MAGIC = new TextEncoder().encode("%PDF-");
const MAGIC_WINDOW = 1024;

export type PdfRefusal = "not_pdf" | "too_large" | "empty";

export class PdfRefused extends Error {
  override name = "PdfRefused";
  constructor(
    readonly code: PdfRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** Writes `body` to `key`; returns its size, or throws `PdfRefused` (nothing left in R2). */
export async function storePdf(bucket: R2Bucket, key: string, body: ReadableStream<Uint8Array>, maxBytes: number): Promise<{ bytes: number }> {
  const reader = body.getReader();
  let part: Uint8Array[] = [];
  let partBytes = 0;
  let total = 0;
  let checked = false;
  let upload: R2MultipartUpload | null = null;
  const parts: R2UploadedPart[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (value?.byteLength) {
        total += value.byteLength;
        if (total > maxBytes) throw new PdfRefused("too_large", `the PDF is larger than the limit of ${maxBytes} bytes`);
        part.push(value);
        partBytes += value.byteLength;
        if (!checked && partBytes >= MAGIC_WINDOW) checked = checkMagic(part);
      }
      if (done) break;
      while (partBytes >= PART_BYTES) {
        upload ??= await bucket.createMultipartUpload(key, { httpMetadata: { contentType: "application/pdf" } });
        const [head, rest] = split(part, PART_BYTES);
        parts.push(await upload.uploadPart(parts.length + 1, head));
        part = rest;
        partBytes -= PART_BYTES;
      }
    }
    if (total === 0) throw new PdfRefused("empty", "the PDF link returned an empty body");
    if (!checked) checkMagic(part);
    const last = concat(part, partBytes);
    if (upload) {
      if (last.byteLength) parts.push(await upload.uploadPart(parts.length + 1, last));
      await upload.complete(parts);
    } else {
      await bucket.put(key, last, { httpMetadata: { contentType: "application/pdf" } });
    }
    return { bytes: total };
  } catch (err) {
    await reader.cancel().catch(() => {});
    if (upload) await upload.abort().catch(() => {});
    throw err;
  }
}

/** True once `%PDF-` is found in the first KiB; throws when the first KiB has none. */
function checkMagic(chunks: Uint8Array[]): boolean {
  const head = concat(chunks, MAGIC_WINDOW).subarray(0, MAGIC_WINDOW);
  for (let i = 0; i + PDF_MAGIC.length <= head.length; i++) {
    if (PDF_MAGIC.every((b, k) => head[i + k] === b)) return true;
  }
  throw new PdfRefused("not_pdf", "the PDF link did not return a PDF (no %PDF- header in its first KiB)");
}

function concat(chunks: Uint8Array[], limit: number): Uint8Array {
  const total = Math.min(
    limit,
    chunks.reduce((n, c) => n + c.byteLength, 0),
  );
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    if (at >= total) break;
    const take = c.subarray(0, total - at);
    out.set(take, at);
    at += take.byteLength;
  }
  return out;
}

/** The first `size` bytes of `chunks` as one array, and the rest as chunks. */
function split(chunks: Uint8Array[], size: number): [Uint8Array, Uint8Array[]] {
  const head = concat(chunks, size);
  const rest: Uint8Array[] = [];
  let skip = size;
  for (const c of chunks) {
    if (skip >= c.byteLength) {
      skip -= c.byteLength;
      continue;
    }
    rest.push(c.subarray(skip));
    skip = 0;
  }
  return [head, rest];
}
