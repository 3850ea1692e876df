/**
 * Calls a remote URL under the URL rules (./url-rules.ts): the one way the service
 * reaches a host a caller named, for webhook deliveries and fetched sources alike.
 *
 * Redirects are followed by hand so that every hop is checked against the same rules
 * (a public URL must not bounce the request to `127.0.0.1`); the size is enforced while
 * the body streams (a `Content-Length` is a claim, not a promise); one timeout covers
 * the whole exchange, body included.
 */
import { checkRemoteUrl } from "./url-rules";

/** Redirects followed at most, by default (DESIGN §15). */
export const DEFAULT_MAX_REDIRECTS = 5;

export interface RemoteFetchOptions {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** For the whole exchange: connecting, every redirect, and reading the body. */
  timeoutMs: number;
  /** Names the service to the remote host. */
  userAgent: string;
  /** The local-dev switch: plain `http://` to `localhost`/`127.0.0.1`. */
  allowHttpLocalhost: boolean;
  /**
   * Redirects followed at most; the response after the last one is returned whatever its
   * status, so a caller that follows none (`0`) sees the 3xx itself.
   */
  maxRedirects?: number;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
}

export interface RemoteResponse {
  /** The URL that answered, after redirects. */
  url: string;
  status: number;
  /** The declared type without parameters, lower-cased; a hint, not a fact. */
  contentType: string | null;
  headers: Headers;
  /** The body, erroring with a `RemoteFetchError` ("too_large", "timeout") past the limits. */
  body: ReadableStream<Uint8Array>;
}

export type RemoteFetchFailure = "url_refused" | "too_large" | "timeout" | "network";

/** Why a remote call did not produce a usable response; `message` is safe to log and show. */
export class RemoteFetchError extends Error {
  constructor(
    readonly code: RemoteFetchFailure,
    message: string,
  ) {
    super(message);
    this.name = "RemoteFetchError";
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Fetches `url` under the URL rules; throws `RemoteFetchError` when the rules or limits refuse it. */
export async function fetchRemote(url: string, options: RemoteFetchOptions): Promise<RemoteResponse> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  let method = options.method ?? "GET";
  let body = options.body;
  let current = url;
  for (let hop = 0; ; hop++) {
    const verdict = checkRemoteUrl(current, options.allowHttpLocalhost);
    if (!verdict.ok) throw new RemoteFetchError("url_refused", hop === 0 ? verdict.reason : `redirect refused: ${verdict.reason}`);
    const res = await send(verdict.url, { method, body, signal, headers: { ...options.headers, "user-agent": options.userAgent } }, options.timeoutMs);
    const location = res.headers.get("location");
    if (!REDIRECTS.has(res.status) || location === null || hop >= maxRedirects) {
      return {
        url: verdict.url,
        status: res.status,
        contentType: res.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() || null,
        headers: res.headers,
        body: limitBody(res, options.maxBytes, signal, options.timeoutMs),
      };
    }
    await res.body?.cancel();
    current = new URL(location, verdict.url).toString();
    // RFC 9110 §15.4: 303 always, and 301/302 after a POST in practice, continue as GET.
    if (res.status === 303 || (method === "POST" && (res.status === 301 || res.status === 302))) {
      method = "GET";
      body = undefined;
    }
  }
}

/** Reads a whole remote body into memory (for small bodies; `maxBytes` still applies). */
export async function readRemoteBytes(res: RemoteResponse): Promise<Uint8Array> {
  return new Uint8Array(await new Response(res.body).arrayBuffer());
}

async function send(url: string, init: { method: string; body: string | undefined; signal: AbortSignal; headers: Record<string, string> }, timeoutMs: number) {
  try {
    return await fetch(url, { ...init, redirect: "manual" });
  } catch (err) {
    throw asRemoteError(err, timeoutMs);
  }
}

function asRemoteError(err: unknown, timeoutMs: number): RemoteFetchError {
  if (err instanceof RemoteFetchError) return err;
  const name = err instanceof Error ? err.name : "";
  if (name === "TimeoutError" || name === "AbortError") return new RemoteFetchError("timeout", `no response within ${timeoutMs / 1000} s`);
  return new RemoteFetchError("network", `request failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300));
}

/** The response's body, cut off with "too_large" past `maxBytes` (declared or counted) and with "timeout" when the signal fires. */
function limitBody(res: Response, maxBytes: number, signal: AbortSignal, timeoutMs: number): ReadableStream<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  const tooLarge = () => new RemoteFetchError("too_large", `the body is larger than ${maxBytes} bytes`);
  if (Number.isFinite(declared) && declared > maxBytes) {
    void res.body?.cancel();
    return new ReadableStream({ start: (c) => c.error(tooLarge()) });
  }
  const reader = res.body?.getReader();
  let seen = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!reader) return controller.close();
      try {
        if (signal.aborted) throw signal.reason;
        const { done, value } = await reader.read();
        if (done) return controller.close();
        seen += value.byteLength;
        if (seen > maxBytes) {
          await reader.cancel();
          return controller.error(tooLarge());
        }
        controller.enqueue(value);
      } catch (err) {
        controller.error(asRemoteError(err, timeoutMs));
      }
    },
    cancel: (reason) => reader?.cancel(reason),
  });
}
