/**
 * `ArxivGate`: the one Durable Object (`idFromName("arxiv")`) that makes every request to
 * arXiv (DESIGN §14). arXiv's terms count all of a client's machines together (one
 * request every 3 s, one connection at a time), so pacing per harvest or per isolate
 * would multiply the rate with the load; one global object cannot.
 *
 * - One request at a time (`TurnQueue`, round-robin over callers), and at least
 *   `ARXIV_MIN_INTERVAL_MS` from the answer to one request to the start of the next
 *   (so at least that between two arrivals at arXiv).
 * - `Retry-After` on any answer holds every caller until then; repeated 429s pause all
 *   traffic for a time that doubles with each further 429.
 * - Pages and PDFs only from `ARXIV_API_URL` and `ARXIV_PDF_BASE`; PDFs are checked and
 *   streamed into R2 at the caller's key, so only metadata crosses the RPC boundary.
 * - `cancel(callerId)` drops a caller's queued requests at once: none of them goes out.
 *
 * Pacing is awaited inside the caller's own RPC call (no alarm): the gate has no work of
 * its own, only callers waiting for their turn. What must outlive an eviction is in
 * storage: the last start, the pause and the 429 streak, written before the request
 * goes out, so a restarted gate never starts sooner than the old one would have. Queued
 * calls fail with the evicted object; their callers ask again (a harvest retries a page
 * or a download from its alarm).
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { type ArxivConfig, loadArxivConfig } from "./config";
import { parseArxivId, versionedId } from "./ids";
import { PdfRefused, storePdf } from "./pdf-store";
import { TurnQueue } from "./turns";

/** A caller never waits past this by default: it gets `retry` and asks again later. */
export const DEFAULT_MAX_WAIT_MS = 60_000;
/** No pause (from Retry-After or 429s) is longer, whatever arXiv says. */
export const MAX_PAUSE_MS = 60 * 60_000;

/** The outcome of one request through the gate. */
export type GateResult<T> =
  | { kind: "done"; value: T }
  /** 429, 5xx, a network failure or timeout, or a wait longer than the caller allows. */
  | { kind: "retry"; retryAt: number; reason: string }
  /** Refused for good: this request will not succeed by asking again. */
  | { kind: "failed"; code: GateFailure; message: string }
  | { kind: "cancelled" };

export type GateFailure = "bad_request" | "not_found" | "http_error" | "not_pdf" | "too_large" | "empty" | "config";

export interface PageRequest {
  /** The batch (or other caller) the request belongs to: the unit of fairness and of `cancel`. */
  callerId: string;
  /** A URL under `ARXIV_API_URL` (see `pageUrl` in harvest.ts). */
  url: string;
  maxWaitMs?: number;
}

/** A page's answer: 2xx, or a 4xx other than 429 (an error feed comes as HTTP 400). */
export interface PageResponse {
  status: number;
  body: string;
  startedAt: number;
}

export interface PdfRequest {
  callerId: string;
  /** A versioned arXiv id (`2104.12255v2`, `hep-ex/0406020v1`): fetched as `ARXIV_PDF_BASE` + id. */
  arxivId: string;
  /** Where in R2 to store it. */
  key: string;
  maxWaitMs?: number;
}

export interface StoredPdf {
  key: string;
  bytes: number;
  startedAt: number;
}

export interface GateStatus {
  now: number;
  /** When the next request may start (a past time: at once). */
  nextRequestAt: number;
  pausedUntil: number;
  consecutive429: number;
  holder: string | null;
  waiting: Record<string, number>;
}

interface PacingState {
  lastStart: number;
  pausedUntil: number;
  consecutive429: number;
}

const STATE_KEY = "pacing";

export class ArxivGate extends DurableObject<Env> {
  private readonly turns = new TurnQueue();

  /** One page of the query API. */
  async fetchPage(request: PageRequest): Promise<GateResult<PageResponse>> {
    const config = this.config();
    if (typeof config === "string") return { kind: "failed", code: "config", message: config };
    if (!isUnder(request.url, config.apiUrl, true)) {
      return { kind: "failed", code: "bad_request", message: `page URL must be ${config.apiUrl}?…` };
    }
    return this.inTurn(request.callerId, request.maxWaitMs, config, async (startedAt, signal) => {
      const res = await fetch(request.url, { headers: this.headers(config, "application/atom+xml"), signal, redirect: "manual" });
      const held = this.afterResponse(res, config);
      if (held !== null) {
        await res.body?.cancel();
        return { kind: "retry", retryAt: held, reason: `arXiv answered HTTP ${res.status}` };
      }
      if (res.status >= 300 && res.status < 400) {
        // Redirects are not followed: they could lead anywhere but the two allowed bases.
        await res.body?.cancel();
        return { kind: "failed", code: "http_error", message: `arXiv answered HTTP ${res.status} (redirects are not followed)` };
      }
      return { kind: "done", value: { status: res.status, body: await res.text(), startedAt } };
    });
  }

  /** One paper's PDF, checked and streamed into R2 at `key`. */
  async fetchPdf(request: PdfRequest): Promise<GateResult<StoredPdf>> {
    const config = this.config();
    if (typeof config === "string") return { kind: "failed", code: "config", message: config };
    const id = parseArxivId(request.arxivId);
    if (!id || id.version === null) return { kind: "failed", code: "bad_request", message: `"${request.arxivId}" is not a versioned arXiv id` };
    const url = `${config.pdfBase}${versionedId(id.paperId, id.version)}`;
    return this.inTurn(request.callerId, request.maxWaitMs, config, async (startedAt, signal) => {
      const res = await fetch(url, { headers: this.headers(config, "application/pdf"), signal, redirect: "manual" });
      const held = this.afterResponse(res, config);
      if (held !== null) {
        await res.body?.cancel();
        return { kind: "retry", retryAt: held, reason: `arXiv answered HTTP ${res.status}` };
      }
      if (res.status !== 200 || !res.body) {
        await res.body?.cancel();
        const code = res.status === 404 ? "not_found" : "http_error";
        return { kind: "failed", code, message: `the PDF of ${request.arxivId} answered HTTP ${res.status}` };
      }
      const declared = Number(res.headers.get("Content-Length") ?? "");
      if (Number.isSafeInteger(declared) && declared > config.maxPdfBytes) {
        await res.body.cancel();
        return { kind: "failed", code: "too_large", message: `the PDF is ${declared} bytes, over the limit of ${config.maxPdfBytes}` };
      }
      try {
        const { bytes } = await storePdf(this.env.BUCKET, request.key, res.body, config.maxPdfBytes);
        return { kind: "done", value: { key: request.key, bytes, startedAt } };
      } catch (err) {
        if (err instanceof PdfRefused) return { kind: "failed", code: err.code, message: err.message };
        throw err;
      }
    });
  }

  /** Drops `callerId`'s queued requests (none of them goes out); returns how many. */
  cancel(callerId: string): number {
    return this.turns.cancel(callerId);
  }

  /** The gate as a CLI shows it: "next arXiv request in 2.1 s". */
  status(): GateStatus {
    const state = this.state();
    const config = this.config();
    const interval = typeof config === "string" ? 0 : config.minIntervalMs;
    return { now: Date.now(), nextRequestAt: nextStart(state, interval), ...state, ...this.turns.snapshot() };
  }

  /**
   * Runs `work` when it is `callerId`'s turn and the pacing allows a start: waits in the
   * queue, then until the start time; gives up with `retry` when that is later than the
   * caller allows, and with `cancelled` when its caller was cancelled meanwhile.
   */
  private async inTurn<T>(
    callerId: string,
    maxWaitMs: number | undefined,
    config: ArxivConfig,
    work: (startedAt: number, signal: AbortSignal) => Promise<GateResult<T>>,
  ): Promise<GateResult<T>> {
    const deadline = Date.now() + (maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
    const turn = await this.turns.acquire(callerId);
    if (!turn) return { kind: "cancelled" };
    try {
      for (;;) {
        if (turn.cancelled) return { kind: "cancelled" };
        const at = nextStart(this.state(), config.minIntervalMs);
        const now = Date.now();
        if (at <= now) break;
        if (at > deadline) return { kind: "retry", retryAt: at, reason: "the arXiv gate is paused or busy past the caller's wait" };
        await scheduler.wait(at - now);
      }
      const startedAt = Date.now();
      // Saved before the request goes out (the output gate holds it until this is
      // durable), so a gate that dies mid-request still counts the start.
      this.save({ ...this.state(), lastStart: startedAt });
      try {
        return await work(startedAt, AbortSignal.timeout(config.fetchTimeoutMs));
      } catch (err) {
        this.save({ ...this.state(), lastStart: Date.now() });
        const message = err instanceof Error ? err.message : String(err);
        return { kind: "retry", retryAt: nextStart(this.state(), config.minIntervalMs), reason: `request to arXiv failed: ${message}` };
      }
    } finally {
      this.turns.release(turn);
    }
  }

  /**
   * Records what an answer means for everyone: `Retry-After` pauses all traffic, a 429
   * streak pauses it for longer and longer. Returns when to ask again for a 429 or 5xx,
   * or null for an answer the caller should read.
   */
  private afterResponse(res: Response, config: ArxivConfig): number | null {
    // The interval counts from the answer, not from the send: the request reached arXiv
    // at or before its answer began, and the runtime's clock only moves on I/O, so the
    // send time read before the fetch can be early. This way no two requests can reach
    // arXiv closer than the interval, whatever the latency.
    const now = Date.now();
    const state = { ...this.state(), lastStart: now };
    const retryAfter = parseRetryAfter(res.headers.get("Retry-After"), now);
    let pausedUntil = state.pausedUntil;
    if (retryAfter !== null) pausedUntil = Math.max(pausedUntil, now + Math.min(retryAfter, MAX_PAUSE_MS));
    const consecutive429 = res.status === 429 ? state.consecutive429 + 1 : 0;
    if (consecutive429 >= 2) {
      const pause = Math.min(MAX_PAUSE_MS, config.pauseAfter429Ms * 2 ** (consecutive429 - 2));
      pausedUntil = Math.max(pausedUntil, now + pause);
    }
    this.save({ lastStart: now, pausedUntil, consecutive429 });
    if (res.status === 429 || res.status >= 500) return nextStart({ ...state, pausedUntil }, config.minIntervalMs);
    return null;
  }

  private headers(config: ArxivConfig, accept: string): HeadersInit {
    return { "User-Agent": config.userAgent, Accept: accept };
  }

  private config(): ArxivConfig | string {
    try {
      return loadArxivConfig(this.env);
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  private state(): PacingState {
    return this.ctx.storage.kv.get<PacingState>(STATE_KEY) ?? { lastStart: 0, pausedUntil: 0, consecutive429: 0 };
  }

  private save(state: PacingState): void {
    this.ctx.storage.kv.put(STATE_KEY, state);
  }
}

/** The earliest start the pacing allows. */
function nextStart(state: PacingState, minIntervalMs: number): number {
  return Math.max(state.lastStart + minIntervalMs, state.pausedUntil);
}

/** `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** True when `url` is `base` itself with a query (`query`), or a path under `base`. */
function isUnder(raw: string, base: string, query: boolean): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  const b = new URL(base);
  if (url.origin !== b.origin || url.username || url.password || url.hash) return false;
  return query ? url.pathname === b.pathname : url.pathname.startsWith(b.pathname);
}
