/**
 * Puts an upload into R2 under `key`, checking its type from its first bytes and
 * hashing it on the way. The raw form streams: bytes go from the request to R2 as they
 * arrive (awaiting each write, so the client is slowed to R2's pace and nothing is
 * buffered), and a body shorter than its `Content-Length` fails the put, so nothing is
 * stored.
 *
 * `reserved` (the job object's reservation, `IngestJob.reserve`) is awaited before the
 * upload's last byte goes to R2, so the put cannot complete before the object that
 * deletes an orphaned upload knows about it. Started with the upload, it adds no latency
 * unless it is slower than the whole body.
 */
import { concatBytes, toHex } from "../bytes";
import type { Env } from "../env";
import { badRequest, Problem } from "../http/problem";
import { SNIFF_BYTES, sniffType, type SupportedType } from "./sniff";

export interface StoredUpload {
  byteSize: number;
  mimeType: SupportedType;
  /** Hex SHA-256 of the bytes: what `Idempotency-Key` compares. */
  sha256: string;
}

/** Bytes gathered from the request before one write to R2 and the hash (bounds the memory held). */
const WRITE_BYTES = 256 * 1024;

const unsupported = (detail: string) => new Problem(415, detail);
const shortBody = (length: number) => badRequest(`The upload ended before ${length} bytes (its Content-Length) were received`);

/** Thrown when the reservation failed: the upload was aborted, nothing stored. */
class ReservationFailed {
  constructor(readonly cause: unknown) {}
}

/** Streams a raw request body of exactly `length` bytes into R2. */
export async function storeStreamedUpload(
  env: Env,
  key: string,
  body: ReadableStream<Uint8Array>,
  length: number,
  declaredType: string | null,
  filename: string,
  reserved: Promise<void> = Promise.resolve(),
): Promise<StoredUpload> {
  const reader = body.getReader();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let ended = false;
  // A client that closes (or whose connection drops) before the first KiB is a short
  // body like any other: 400, and nothing was stored yet.
  try {
    while (headBytes < Math.min(SNIFF_BYTES, length)) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      head.push(value);
      headBytes += value.byteLength;
    }
  } catch {
    throw shortBody(length);
  }
  if (ended && headBytes < length) throw shortBody(length);
  const sniffed = sniffType(concatBytes(head).subarray(0, SNIFF_BYTES), declaredType, filename);
  if (!sniffed.ok) {
    await reader.cancel().catch(() => {});
    throw unsupported(sniffed.detail);
  }

  const fixed = new FixedLengthStream(length);
  const put = env.BUCKET.put(key, fixed.readable, { httpMetadata: { contentType: sniffed.mimeType } });
  put.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
  const writer = fixed.writable.getWriter();
  const digest = new crypto.DigestStream("SHA-256");
  const hasher = digest.getWriter();
  try {
    // The request's small chunks are gathered into writes of WRITE_BYTES (one write to
    // R2 and the hash per 256 KiB, not per network chunk), and the last write is always
    // held back: R2 cannot finish the put before it is written.
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      const bytes = pending.length === 1 ? pending[0]! : concatBytes(pending);
      pending = [];
      pendingBytes = 0;
      await Promise.all([writer.write(bytes), hasher.write(bytes)]);
    };
    const write = async (chunk: Uint8Array) => {
      if (pendingBytes + chunk.byteLength > WRITE_BYTES && pendingBytes > 0) await flush();
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
    };
    for (const chunk of head) await write(chunk);
    while (!ended) {
      const { done, value } = await reader.read();
      if (done) break;
      await write(value);
    }
    await reserved.catch((err: unknown) => {
      throw new ReservationFailed(err);
    });
    if (pendingBytes > 0) await flush();
    await Promise.all([writer.close(), hasher.close()]);
    await put;
  } catch (err) {
    // An aborted put stores nothing: there is nothing to delete.
    await writer.abort(err).catch(() => {});
    await put.catch(() => {});
    if (err instanceof ReservationFailed) throw err.cause;
    throw shortBody(length);
  }
  return { byteSize: length, mimeType: sniffed.mimeType, sha256: toHex(await digest.digest) };
}

/** Stores a file that multipart parsing already holds in memory (small files only). */
export async function storeBufferedUpload(env: Env, key: string, file: File, reserved: Promise<void> = Promise.resolve()): Promise<StoredUpload> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const sniffed = sniffType(bytes.subarray(0, SNIFF_BYTES), file.type || null, file.name);
  if (!sniffed.ok) throw unsupported(sniffed.detail);
  await reserved;
  const [sha] = await Promise.all([crypto.subtle.digest("SHA-256", bytes), env.BUCKET.put(key, bytes, { httpMetadata: { contentType: sniffed.mimeType } })]);
  return { byteSize: bytes.byteLength, mimeType: sniffed.mimeType, sha256: toHex(sha) };
}
