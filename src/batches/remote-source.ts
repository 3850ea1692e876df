/**
 * Fetches one remote source into R2 under DESIGN §15: every URL and every redirect checked
 * by the shared URL rules (at most 5 redirects), the size enforced while the body streams
 * (a body cut off leaves nothing in R2: a put of known length fails whole, and an
 * unfinished multipart upload is aborted), one deadline for the whole fetch, the type
 * sniffed from the first bytes as for uploads, and a `User-Agent` naming the service.
 */
import { concatBytes, toHex } from "../bytes";
import type { Env } from "../env";
import { SNIFF_BYTES, sniffType, type SupportedType } from "../uploads/sniff";
import { checkWebhookUrl } from "../webhooks/url-rules";

/** RFC 9110 §15.4: at most this many redirects are followed, each one re-checked. */
export const MAX_REDIRECTS = 5;
export const USER_AGENT = "edge-ingest/0.1 (+https://github.com/edge-ingest; remote source fetcher)";
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

/** Checks a URL against the rules of DESIGN §15; the reason when refused. */
export function checkSourceUrl(raw: string, allowHttpLocalhost: boolean): { ok: true; url: string } | { ok: false; reason: string } {
  return checkWebhookUrl(raw, allowHttpLocalhost);
}

/** The last path segment of a URL, as the item's file name (the host when there is none). */
export function filenameOf(url: string): string {
  const u = new URL(url);
  const last = decodeURIComponent(u.pathname.split("/").filter(Boolean).pop() ?? "");
  return (last || u.hostname).slice(0, 255);
}

/** Fetches `url` into R2 under `key`. Never throws for the source's faults: they are outcomes. */
export async function fetchRemoteSource(env: Env, url: string, key: string, limits: RemoteLimits): Promise<RemoteOutcome> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error("timeout")), limits.timeoutMs);
  try {
    return await fetchWithin(env, url, key, limits, abort.signal);
  } catch (err) {
    await env.BUCKET.delete(key).catch(() => {});
    if (abort.signal.aborted) return { ok: false, code: "TIMEOUT", message: `The source did not arrive within ${limits.timeoutMs} ms`, retryable: true };
    return {
      ok: false,
      code: "FETCH_FAILED",
      message: `The source could not be fetched: ${String(err instanceof Error ? err.message : err).slice(0, 200)}`,
      retryable: true,
    };
  } finally {
    clearTimeout(timer);
  }
}

async function fetchWithin(env: Env, first: string, key: string, limits: RemoteLimits, signal: AbortSignal): Promise<RemoteOutcome> {
  let url = first;
  let response: Response | null = null;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const verdict = checkSourceUrl(url, limits.allowHttpLocalhost);
    if (!verdict.ok)
      return { ok: false, code: "URL_REFUSED", message: hop === 0 ? verdict.reason : `A redirect was refused: ${verdict.reason}`, retryable: false };
    const res = await fetch(verdict.url, { redirect: "manual", signal, headers: { "User-Agent": USER_AGENT, Accept: "*/*" } });
    const location = res.headers.get("Location");
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel().catch(() => {});
      url = new URL(location, verdict.url).toString();
      continue;
    }
    response = res;
    url = verdict.url;
    break;
  }
  if (!response) return { ok: false, code: "URL_REFUSED", message: `More than ${MAX_REDIRECTS} redirects`, retryable: false };
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    const retryable = response.status >= 500 || response.status === 429;
    return { ok: false, code: "FETCH_FAILED", message: `The source answered HTTP ${response.status}`, retryable };
  }
  const declared = Number(response.headers.get("Content-Length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    await response.body?.cancel().catch(() => {});
    return tooLarge(limits.maxBytes);
  }
  if (!response.body) return { ok: false, code: "EMPTY_DOCUMENT", message: "The source is empty", retryable: false };
  const filename = filenameOf(url);
  return streamToR2(env, key, response.body, response.headers.get("Content-Type"), filename, url, limits.maxBytes);
}

function tooLarge(max: number): RemoteOutcome {
  return { ok: false, code: "LIMIT_EXCEEDED", message: `LIMIT_EXCEEDED: the source is larger than ${max} bytes`, retryable: false };
}

/**
 * Streams the body into R2: one `put` when it fits one part, else a multipart upload of
 * equal parts. Past `maxBytes` the read stops and whatever was written is removed.
 */
async function streamToR2(
  env: Env,
  key: string,
  body: ReadableStream<Uint8Array>,
  declared: string | null,
  filename: string,
  finalUrl: string,
  maxBytes: number,
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
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        await upload?.abort().catch(() => {});
        return tooLarge(maxBytes);
      }
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
