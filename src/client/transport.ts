/**
 * One HTTP round trip, the SDK's way: bearer token, the caller's D1 bookmark sent back
 * (read-your-writes), problems turned into `EdgeIngestError`, and 429/5xx retried with
 * `Retry-After` on calls that are safe to repeat.
 */
import { backoffDelay, type Backoff } from "../backoff";
import { EdgeIngestError } from "./errors";

/** What `onRetry` is told before the SDK waits and tries again. */
export interface RetryNotice {
  method: string;
  path: string;
  /** 1 for the first retry. */
  attempt: number;
  /** How long the SDK waits before the retry. */
  delayMs: number;
  /** The refused status (429, 5xx), or 0 for a network error. */
  status: number;
  /** The server's `detail`, or the network error's message. */
  detail: string;
}

export interface TransportOptions {
  baseUrl: string;
  /** A bearer token, or a function that returns the current one (called per request). */
  token: string | (() => string | Promise<string>);
  fetch?: typeof fetch;
  /** Retries of one idempotent call before its error is thrown (default 8). */
  maxRetries?: number;
  /** The longest single wait the SDK accepts; a longer `Retry-After` is thrown (default 120 s). */
  maxRetryDelayMs?: number;
  /** Called before each wait-and-retry (the CLI shows "rate limited, waiting 12 s"). */
  onRetry?: (notice: RetryNotice) => void;
}

export interface RequestSpec {
  method: "GET" | "POST" | "DELETE" | "PATCH";
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** A factory, so a retry can send the body again. */
  body?: () => BodyInit | Promise<BodyInit>;
  /** Whether 429/5xx/network failures may be retried. */
  retry: boolean;
  /** The project whose bookmark is sent and kept. */
  projectId?: string;
  signal?: AbortSignal;
  /** Statuses returned as they are instead of thrown (e.g. 304). */
  pass?: number[];
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);
const BOOKMARK = "x-d1-bookmark";

export class Transport {
  readonly baseUrl: string;
  private readonly fetcher: typeof fetch;
  /** The newest D1 bookmark seen per project ("" for routes outside a project). */
  private readonly bookmarks = new Map<string, string>();

  constructor(private readonly options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.fetcher = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async token(): Promise<string> {
    const t = this.options.token;
    return typeof t === "function" ? t() : t;
  }

  url(path: string, query: RequestSpec["query"] = {}): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
    const s = q.toString();
    return `${this.baseUrl}${path}${s ? `?${s}` : ""}`;
  }

  /** Sends the request; returns the 2xx (or `pass`) response, or throws `EdgeIngestError`. */
  async send(spec: RequestSpec): Promise<Response> {
    const maxRetries = spec.retry ? (this.options.maxRetries ?? 8) : 0;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetcher(this.url(spec.path, spec.query), await this.init(spec));
      } catch (err) {
        if (spec.signal?.aborted) throw err;
        const detail = `Could not reach ${this.baseUrl}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`;
        if (attempt >= maxRetries) throw new EdgeIngestError(0, detail);
        await this.wait(spec, attempt, backoff(attempt), 0, detail);
        continue;
      }
      const bookmark = res.headers.get(BOOKMARK);
      if (bookmark) this.bookmarks.set(spec.projectId ?? "", bookmark);
      if (res.ok || spec.pass?.includes(res.status)) return res;
      const error = await EdgeIngestError.from(res);
      if (!RETRYABLE.has(res.status) || attempt >= maxRetries) throw error;
      const delay = retryAfterMs(res.headers.get("Retry-After")) ?? backoff(attempt);
      if (delay > (this.options.maxRetryDelayMs ?? 120_000)) throw error;
      await this.wait(spec, attempt, delay, res.status, error.detail);
    }
  }

  /** `send`, then the JSON body. */
  async json<T>(spec: RequestSpec): Promise<T> {
    return (await (await this.send(spec)).json()) as T;
  }

  private async init(spec: RequestSpec): Promise<RequestInit> {
    const headers = new Headers(spec.headers);
    headers.set("Authorization", `Bearer ${await this.token()}`);
    const bookmark = this.bookmarks.get(spec.projectId ?? "");
    if (bookmark) headers.set(BOOKMARK, bookmark);
    const init: RequestInit & { duplex?: "half" } = { method: spec.method, headers, signal: spec.signal };
    if (spec.body) {
      init.body = await spec.body();
      // A stream body needs half duplex in fetch implementations that stream requests.
      if (init.body instanceof ReadableStream) init.duplex = "half";
    }
    return init;
  }

  private async wait(spec: RequestSpec, attempt: number, delayMs: number, status: number, detail: string): Promise<void> {
    this.options.onRetry?.({ method: spec.method, path: spec.path, attempt: attempt + 1, delayMs, status, detail });
    await sleep(delayMs, spec.signal);
  }
}

/** `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** HTTP retries: about 0.25 s, 0.5 s, 1 s … up to 10 s, with equal jitter so many clients do not retry in step. */
const HTTP_RETRY: Backoff = { initialMs: 250, maxMs: 10_000, jitter: "equal" };

/** The wait before retry number `attempt` (0-based) of a request. */
export function backoff(attempt: number): number {
  return backoffDelay(HTTP_RETRY, attempt);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
}
