/**
 * Puts an upload into R2 under `key`, checking its type from its first bytes and
 * hashing it on the way. The raw form streams: bytes go from the request to R2 as they
 * arrive (awaiting each write, so the client is slowed to R2's pace and nothing is
 * buffered), and a body shorter than its `Content-Length` fails the put, so nothing is
 * stored.
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

const unsupported = (detail: string) => new Problem(415, detail);
const shortBody = (length: number) => badRequest(`The upload ended before ${length} bytes (its Content-Length) were received`);

/** Streams a raw request body of exactly `length` bytes into R2. */
export async function storeStreamedUpload(
  env: Env,
  key: string,
  body: ReadableStream<Uint8Array>,
  length: number,
  declaredType: string | null,
  filename: string,
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
    const write = (chunk: Uint8Array) => Promise.all([writer.write(chunk), hasher.write(chunk)]);
    for (const chunk of head) await write(chunk);
    while (!ended) {
      const { done, value } = await reader.read();
      if (done) break;
      await write(value);
    }
    await Promise.all([writer.close(), hasher.close()]);
    await put;
  } catch (err) {
    await writer.abort(err).catch(() => {});
    await put.catch(() => {});
    await env.BUCKET.delete(key);
    throw shortBody(length);
  }
  return { byteSize: length, mimeType: sniffed.mimeType, sha256: toHex(await digest.digest) };
}

/** Stores a file that multipart parsing already holds in memory (small files only). */
export async function storeBufferedUpload(env: Env, key: string, file: File): Promise<StoredUpload> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const sniffed = sniffType(bytes.subarray(0, SNIFF_BYTES), file.type || null, file.name);
  if (!sniffed.ok) throw unsupported(sniffed.detail);
  const [sha] = await Promise.all([
    crypto.subtle.digest("SHA-256", bytes),
    env.BUCKET.put(key, bytes, { httpMetadata: { contentType: sniffed.mimeType } }),
  ]);
  return { byteSize: bytes.byteLength, mimeType: sniffed.mimeType, sha256: toHex(sha) };
}

