/**
 * The arXiv settings (DESIGN §14), validated once per `env` like the rest of the config:
 * a bad value fails the first harvest loudly instead of sending odd traffic to arXiv.
 */
import { ConfigError } from "../config";
import type { Env } from "../env";
import { checkRemoteUrl } from "../net/url-rules";

export interface ArxivConfig {
  /** The query API; pages are only ever requested from here. */
  apiUrl: string;
  /** PDFs are only ever requested under here (`<base><versionedId>`). */
  pdfBase: string;
  /** Least time between the starts of two requests to arXiv, over every harvest. */
  minIntervalMs: number;
  /** `User-Agent` of every request: the service and whom arXiv can contact. */
  userAgent: string;
  /** Largest `maxResults` of one harvest. */
  maxResults: number;
  /** First pause after repeated 429s; it doubles with every further 429. */
  pauseAfter429Ms: number;
  /** A request (headers and body) that takes longer fails and is retried later. */
  fetchTimeoutMs: number;
  /** Largest PDF, refused while streaming (`MAX_UPLOAD_BYTES`). */
  maxPdfBytes: number;
}

/** Defaults: arXiv's terms ask for at most one request every 3 s. */
export const ARXIV_DEFAULTS = {
  apiUrl: "https://export.arxiv.org/api/query",
  pdfBase: "https://export.arxiv.org/pdf/",
  minIntervalMs: 3000,
  maxResults: 2000,
  pauseAfter429Ms: 60_000,
  fetchTimeoutMs: 60_000,
} as const;

const cache = new WeakMap<object, ArxivConfig>();

export function loadArxivConfig(env: Env): ArxivConfig {
  const hit = cache.get(env);
  if (hit) return hit;
  const config = parseArxivConfig(env);
  cache.set(env, config);
  return config;
}

function parseArxivConfig(env: Env): ArxivConfig {
  // The same local-dev switch as webhooks: plain http:// only to localhost.
  const allowHttpLocalhost = env.WEBHOOK_ALLOW_HTTP_LOCALHOST === "true";
  const apiUrl = url(env.ARXIV_API_URL || ARXIV_DEFAULTS.apiUrl, "ARXIV_API_URL", allowHttpLocalhost);
  const pdfBase = url(env.ARXIV_PDF_BASE || ARXIV_DEFAULTS.pdfBase, "ARXIV_PDF_BASE", allowHttpLocalhost);
  if (!pdfBase.endsWith("/")) throw new ConfigError("ARXIV_PDF_BASE must end with /");
  const contact = (env.ARXIV_CONTACT ?? "").trim();
  const realArxiv = [apiUrl, pdfBase].some((u) => /(^|\.)arxiv\.org$/i.test(new URL(u).hostname));
  if (realArxiv && !contact) {
    throw new ConfigError("Set ARXIV_CONTACT (an email address or URL where arXiv can reach the operator) before harvesting from arXiv");
  }
  if (/[\r\n]/.test(contact)) throw new ConfigError("ARXIV_CONTACT must be one line");
  return {
    apiUrl,
    pdfBase,
    minIntervalMs: int(env.ARXIV_MIN_INTERVAL_MS, "ARXIV_MIN_INTERVAL_MS", ARXIV_DEFAULTS.minIntervalMs, 0),
    userAgent: `edge-ingest/0.1 (arXiv harvester${contact ? `; ${contact}` : ""})`,
    maxResults: int(env.ARXIV_MAX_RESULTS, "ARXIV_MAX_RESULTS", ARXIV_DEFAULTS.maxResults, 1),
    pauseAfter429Ms: int(env.ARXIV_429_PAUSE_MS, "ARXIV_429_PAUSE_MS", ARXIV_DEFAULTS.pauseAfter429Ms, 1),
    fetchTimeoutMs: int(env.ARXIV_FETCH_TIMEOUT_MS, "ARXIV_FETCH_TIMEOUT_MS", ARXIV_DEFAULTS.fetchTimeoutMs, 1),
    maxPdfBytes: int(env.MAX_UPLOAD_BYTES, "MAX_UPLOAD_BYTES", 104_857_600, 1),
  };
}

function url(raw: string, name: string, allowHttpLocalhost: boolean): string {
  const verdict = checkRemoteUrl(raw, allowHttpLocalhost);
  if (!verdict.ok) throw new ConfigError(`${name}: ${verdict.reason}`);
  const parsed = new URL(verdict.url);
  if (parsed.search || parsed.hash) throw new ConfigError(`${name} must have no query or fragment`);
  return verdict.url;
}

function int(raw: string | undefined, name: string, fallback: number, min: number): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new ConfigError(`${name} must be an integer of at least ${min}, got "${raw}"`);
  return n;
}
