/**
 * Fetches one remote source into R2 under DESIGN §15: every URL and every redirect checked
 * by the shared URL rules (at most 5 redirects), the size enforced while the body streams
 * (a body cut off leaves nothing in R2: a put of known length fails whole, and an
 * unfinished multipart upload is aborted), one deadline for the whole fetch, the type
 * sniffed from the first bytes as for uploads, and a `User-Agent` naming the service.
 */
import { concatBytes, toHex } from "../bytes";
import type { Env } from "../env";
import { fetchRemote, RemoteFetchError } from "../net/remote-fetch";
import { checkRemoteUrl } from "../net/url-rules";
import { SNIFF_BYTES, sniffType, type SupportedType } from "../uploads/sniff";

export const USER_AGENT = "edge-ingest/0.1 (remote source fetcher; +https://github.com/edge-ingest/edge-ingest)";
/** Bytes held in memory before one part goes to R2 (R2's parts must be equal and at least 5 MiB). */
const PART_BYTES = 5 * 1024 * 1024;

export interface RemoteLimits {
  maxBytes: number;
  timeoutMs: number;
  allowHttpLocalhost: boolean;
}

export type RemoteOutcome =
  | { ok: true; byteSize: number; mimeType: SupportedType; sha256: string; finalUrl: string; filename: string }
  | {
      ok: false;
      code: "URL_REFUSED" | "FETCH_FAILED" | "TIMEOUT" | "LIMIT_EXCEEDED" | "UNSUPPORTED_TYPE" | "EMPTY_DOCUMENT";
      message: string;
      retryable: boolean;
    };

/** Checks a URL against the rules of DESIGN §15 (the module webhooks use too). */
export function checkSourceUrl(raw: string, allowHttpLocalhost: boolean): { ok: true; url: string } | { ok: false; reason: string } {
  return checkRemoteUrl(raw, allowHttpLocalhost);
}

/** The last path segment of a URL, as the item's file name (the host when there is none). */
export function filenameOf(url: string): string {
  const u = new URL(url);
  let last = u.pathname.split("/").filter(Boolean).pop() ?? "";
  try {
    last = decodeURIComponent(last);
  } catch {
    // keep it encoded
  }
  return (last || u.hostname).slice(0, 255);
}

/**
 * Fetches `url` into R2 under `key`. Never throws for the source's faults: they are
 * outcomes; whatever was written under `key` is gone when the outcome is a failure.
 */
export async function fetchRemoteSource(env: Env, url: string, key: string, limits: RemoteLimits): Promise<RemoteOutcome> {
  try {
    const res = await fetchRemote(url, { ...limits, userAgent: USER_AGENT });
    if (res.status < 200 || res.status > 299) {
      await res.body.cancel().catch(() => {});
      const retryable = res.status >= 500 || res.status === 429;
      const redirect = res.status >= 300 && res.status < 400 ? " (more redirects than allowed)" : "";
      return { ok: false, code: "FETCH_FAILED", message: `The source answered HTTP ${res.status}${redirect}`, retryable };
    }
    return await streamToR2(env, key, res.body, res.contentType, filenameOf(res.url), res.url);
  } catch (err) {
    await env.BUCKET.delete(key).catch(() => {});
    if (err instanceof RemoteFetchError) {
      switch (err.code) {
        case "url_refused":
          return { ok: false, code: "URL_REFUSED", message: `The URL was refused: ${err.message}`, retryable: false };
        case "too_large":
          return { ok: false, code: "LIMIT_EXCEEDED", message: `LIMIT_EXCEEDED: ${err.message} (MAX_UPLOAD_BYTES is ${limits.maxBytes})`, retryable: false };
        case "timeout":
          return { ok: false, code: "TIMEOUT", message: `The source did not arrive within ${limits.timeoutMs} ms`, retryable: true };
        case "network":
          return { ok: false, code: "FETCH_FAILED", message: `The source could not be fetched: ${err.message}`, retryable: true };
      }
    }
    return {
      ok: false,
      code: "FETCH_FAILED",
      message: `The source could not be fetched: ${String(err instanceof Error ? err.message : err).slice(0, 200)}`,
      retryable: true,
    };
  }
}

/**
 * Streams the body into R2: one `put` when it fits one part, else a multipart upload of
 * equal parts. A body that errors (past `maxBytes`, or the timeout) aborts the upload.
 */
async function streamToR2(
  env: Env,
  key: string,
  body: ReadableStream<Uint8Array>,
  declared: string | null,
  filename: string,
  finalUrl: string,
): Promise<RemoteOutcome> {
  const reader = body.getReader();
  const digest = new crypto.DigestStream("SHA-256");
  const hasher = digest.getWriter();
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let total = 0;
  let mimeType: SupportedType | null = null;
  let upload: R2MultipartUpload | null = null;
  const parts: R2UploadedPart[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      pending.push(value);
      pendingBytes += value.byteLength;
      await hasher.write(value);
      if (mimeType === null && pendingBytes >= SNIFF_BYTES) {
        const sniffed = sniffType(concatBytes(pending).subarray(0, SNIFF_BYTES), declared, filename);
        if (!sniffed.ok) {
          await reader.cancel().catch(() => {});
          return { ok: false, code: "UNSUPPORTED_TYPE", message: sniffed.detail, retryable: false };
        }
        mimeType = sniffed.mimeType;
      }
      while (pendingBytes > PART_BYTES && mimeType) {
        const all = concatBytes(pending);
        upload ??= await env.BUCKET.createMultipartUpload(key, { httpMetadata: { contentType: mimeType } });
        parts.push(await upload.uploadPart(parts.length + 1, all.subarray(0, PART_BYTES)));
        pending = [all.subarray(PART_BYTES)];
        pendingBytes = all.byteLength - PART_BYTES;
      }
    }
    if (total === 0) return { ok: false, code: "EMPTY_DOCUMENT", message: "The source is empty", retryable: false };
    const rest = concatBytes(pending);
    if (mimeType === null) {
      const sniffed = sniffType(rest.subarray(0, SNIFF_BYTES), declared, filename);
      if (!sniffed.ok) return { ok: false, code: "UNSUPPORTED_TYPE", message: sniffed.detail, retryable: false };
      mimeType = sniffed.mimeType;
    }
    if (upload) {
      parts.push(await upload.uploadPart(parts.length + 1, rest));
      await upload.complete(parts);
    } else {
      await env.BUCKET.put(key, rest, { httpMetadata: { contentType: mimeType } });
    }
    await hasher.close();
    return { ok: true, byteSize: total, mimeType, sha256: toHex(await digest.digest), finalUrl, filename };
  } catch (err) {
    await upload?.abort().catch(() => {});
    throw err;
  }
}
