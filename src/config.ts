import type { Env } from "./env";
import { DEFAULT_DOCUMENT_LIMITS, type DocumentLimits } from "./pipeline/limits";
import { DEFAULT_RETRY_DELAYS_MS, DEFAULT_TIMEOUT_MS } from "./webhooks/retry-policy";

/** Validated runtime configuration (DESIGN §6). */
export interface Config {
  auth: { kind: "secret"; secret: string; issuer?: string; audience?: string } | { kind: "jwks"; url: string; issuer?: string; audience?: string };
  cursorSecret: string;
  maxUploadBytes: number;
  rateLimitProjectPerMinute: number;
  rateLimitUserPerHour: number;
  /** Failed authentications per client IP per minute. */
  rateLimitFailedAuthPerMinute: number;
  stageMaxAttempts: number;
  /** How long an upload's reservation waits for its job before the upload is deleted. */
  sourceReservationMs: number;
  /** `KEEP_SOURCES`: a completed job's source stays in R2 (to re-ingest it with other options). */
  keepSources: boolean;
  /** A project's hub nudges an active job it has heard nothing from for this long. */
  stallAfterMs: number;
  /** How long finished jobs and batches are kept (docs/retention.md). */
  retention: RetentionConfig;
  /** Pages, characters, chunks and decoded bytes a document may reach (DESIGN §6). */
  limits: DocumentLimits;
  /** A job's D1 row is rewritten for progress alone at most this often (DESIGN §8). */
  indexProgressIntervalMs: number;
  webhooks: WebhookConfig;
  batches: BatchConfig;
}

/** What is kept how long (docs/retention.md). */
export interface RetentionConfig {
  /** `RETENTION_DAYS`: a finished job or batch is purged this long after it finished, unless its project overrides it. */
  days: number;
  /** `DELETED_GRACE_DAYS`: a deleted job or batch is purged this long after its delete. */
  deletedGraceDays: number;
}

/** Batch bounds (DESIGN §13) and remote fetches (DESIGN §15). */
export interface BatchConfig {
  /** Items of one batch past QUEUED at once. */
  concurrency: number;
  /** Items one batch may hold. */
  maxItems: number;
  /** A remote fetch without its whole body by then fails. */
  fetchTimeoutMs: number;
  /** Plain http:// to localhost for remote sources: the same local-dev switch as webhooks. */
  allowHttpLocalhost: boolean;
}

/** Webhook delivery settings (DESIGN §9). */
export interface WebhookConfig {
  /** AES-256-GCM key (base64 of 32 bytes) that seals subscription secrets at rest. */
  secretKey: string;
  /** `WEBHOOK_ALLOW_HTTP_LOCALHOST`: plain http:// to localhost/127.0.0.1 (local dev). */
  allowHttpLocalhost: boolean;
  /** Delays between tries; a delivery fails after the last. */
  retryDelaysMs: number[];
  /** An attempt without a response by then is a failure. */
  timeoutMs: number;
}

/**
 * Used only when `WEBHOOK_ALLOW_HTTP_LOCALHOST=true` (local dev) and no key is set: public,
 * so it protects nothing; `npm run dev` writes a random key into `.dev.vars` instead.
 */
const DEV_WEBHOOK_SECRET_KEY = btoa("edge-ingest local-dev webhooks!!");

/**
 * How long a reservation waits for its `create` before its upload is deleted. The route
 * creates the job right after the upload's last byte (plus, with an Idempotency-Key, a
 * few D1 statements and at most a 5 s wait), so only a dead create is this late.
 */
const DEFAULT_SOURCE_RESERVATION_MS = 10 * 60_000;

/**
 * A moving job logs at least every `PROGRESS_EVENT_INTERVAL_MS` (half a second), and a
 * failing slice fails its job within a few minutes of backoff: ten silent minutes mean
 * its alarm is lost.
 */
const DEFAULT_STALL_AFTER_MS = 10 * 60_000;

/** Thrown at start-up when `wrangler.toml` / secrets are inconsistent. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const cache = new WeakMap<object, Config>();

/**
 * Parses and validates config once per `env` object, so a misconfiguration fails
 * the first request loudly instead of a random later one.
 */
export function loadConfig(env: Env): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const config = parseConfig(env);
  cache.set(env, config);
  return config;
}

function parseConfig(env: Env): Config {
  const issuer = env.JWT_ISSUER || undefined;
  const audience = env.JWT_AUDIENCE || undefined;
  if (env.JWT_SECRET && env.JWKS_URL) {
    throw new ConfigError("Set either JWT_SECRET or JWKS_URL, not both: one verifier never mixes key kinds");
  }
  let auth: Config["auth"];
  if (env.JWT_SECRET) {
    // RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
    if (new TextEncoder().encode(env.JWT_SECRET).length < 32) {
      throw new ConfigError("JWT_SECRET must be at least 32 bytes (RFC 7518 §3.2)");
    }
    auth = { kind: "secret", secret: env.JWT_SECRET, issuer, audience };
  } else if (env.JWKS_URL) {
    if (!env.JWKS_URL.startsWith("https://")) throw new ConfigError("JWKS_URL must be an https URL");
    auth = { kind: "jwks", url: env.JWKS_URL, issuer, audience };
  } else {
    throw new ConfigError("Set JWT_SECRET (local) or JWKS_URL (production)");
  }
  const cursorSecret = env.CURSOR_SECRET || env.JWT_SECRET;
  if (!cursorSecret) throw new ConfigError("CURSOR_SECRET is required when JWKS_URL is used");
  return {
    auth,
    cursorSecret,
    maxUploadBytes: positiveInt(env, "MAX_UPLOAD_BYTES", 104_857_600),
    rateLimitProjectPerMinute: positiveInt(env, "RATE_LIMIT_PROJECT_PER_MINUTE", 100),
    rateLimitUserPerHour: positiveInt(env, "RATE_LIMIT_USER_PER_HOUR", 1000),
    rateLimitFailedAuthPerMinute: positiveInt(env, "RATE_LIMIT_FAILED_AUTH_PER_MINUTE", 60),
    stageMaxAttempts: positiveInt(env, "STAGE_MAX_ATTEMPTS", 5),
    sourceReservationMs: positiveInt(env, "SOURCE_RESERVATION_MS", DEFAULT_SOURCE_RESERVATION_MS),
    keepSources: flag(env, "KEEP_SOURCES"),
    stallAfterMs: positiveInt(env, "STALL_AFTER_MS", DEFAULT_STALL_AFTER_MS),
    retention: { days: positiveDays(env, "RETENTION_DAYS", 30), deletedGraceDays: positiveDays(env, "DELETED_GRACE_DAYS", 1) },
    limits: parseLimits(env),
    indexProgressIntervalMs: nonNegativeInt(env, "INDEX_PROGRESS_INTERVAL_MS", 5000),
    webhooks: parseWebhookConfig(env),
    batches: {
      concurrency: positiveInt(env, "BATCH_CONCURRENCY", 8),
      maxItems: positiveInt(env, "MAX_BATCH_ITEMS", 10_000),
      fetchTimeoutMs: positiveInt(env, "FETCH_TIMEOUT_MS", 30_000),
      allowHttpLocalhost: env.WEBHOOK_ALLOW_HTTP_LOCALHOST === "true",
    },
  };
}

function parseLimits(env: Env): DocumentLimits {
  const d = DEFAULT_DOCUMENT_LIMITS;
  const limits: DocumentLimits = {
    maxPdfPages: positiveInt(env, "MAX_PDF_PAGES", d.maxPdfPages),
    maxPdfBytes: positiveInt(env, "MAX_PDF_BYTES", d.maxPdfBytes),
    maxDocumentChars: positiveInt(env, "MAX_DOCUMENT_CHARS", d.maxDocumentChars),
    maxDocumentChunks: positiveInt(env, "MAX_DOCUMENT_CHUNKS", d.maxDocumentChunks),
    maxPdfStreamBytes: positiveInt(env, "MAX_PDF_STREAM_BYTES", d.maxPdfStreamBytes),
    maxPdfDecodedBytes: positiveInt(env, "MAX_PDF_DECODED_BYTES", d.maxPdfDecodedBytes),
    sliceDecodedBytes: positiveInt(env, "SLICE_DECODED_BYTES", d.sliceDecodedBytes),
  };
  // A page whose one stream is allowed must fit a slice, or no file passing the stream cap could be read.
  if (limits.maxPdfStreamBytes > limits.sliceDecodedBytes) {
    throw new ConfigError("MAX_PDF_STREAM_BYTES must not exceed SLICE_DECODED_BYTES");
  }
  return limits;
}

function parseWebhookConfig(env: Env): WebhookConfig {
  const flag = env.WEBHOOK_ALLOW_HTTP_LOCALHOST ?? "false";
  if (flag !== "true" && flag !== "false") throw new ConfigError(`WEBHOOK_ALLOW_HTTP_LOCALHOST must be true or false, got "${flag}"`);
  const allowHttpLocalhost = flag === "true";
  const secretKey = env.WEBHOOK_SECRET_KEY || (allowHttpLocalhost ? DEV_WEBHOOK_SECRET_KEY : "");
  if (!secretKey) {
    throw new ConfigError("WEBHOOK_SECRET_KEY is required (base64 of 32 random bytes: `openssl rand -base64 32`)");
  }
  let keyBytes = 0;
  try {
    keyBytes = atob(secretKey).length;
  } catch {
    keyBytes = 0;
  }
  if (keyBytes !== 32) throw new ConfigError("WEBHOOK_SECRET_KEY must be base64 of exactly 32 bytes (AES-256)");
  let retryDelaysMs: number[] = [...DEFAULT_RETRY_DELAYS_MS];
  if (env.WEBHOOK_RETRY_DELAYS_MS) {
    retryDelaysMs = env.WEBHOOK_RETRY_DELAYS_MS.split(",").map((t) => Number(t.trim()));
    if (!retryDelaysMs.every((n) => Number.isSafeInteger(n) && n > 0)) {
      throw new ConfigError("WEBHOOK_RETRY_DELAYS_MS must be a comma-separated list of positive integers");
    }
  }
  return { secretKey, allowHttpLocalhost, retryDelaysMs, timeoutMs: positiveInt(env, "WEBHOOK_TIMEOUT_MS", DEFAULT_TIMEOUT_MS) };
}

function flag(env: Env, name: keyof Env): boolean {
  const value = env[name] ?? "false";
  if (value !== "true" && value !== "false") throw new ConfigError(`${name} must be true or false, got "${String(value)}"`);
  return value === "true";
}

/** A positive number of days; fractions are allowed (`0.5` is 12 hours). */
function positiveDays(env: Env, name: keyof Env, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${name} must be a positive number of days, got "${String(raw)}"`);
  return n;
}

function positiveInt(env: Env, name: keyof Env, fallback: number): number {
  const n = nonNegativeInt(env, name, fallback);
  if (n === 0) throw new ConfigError(`${name} must be a positive integer`);
  return n;
}

function nonNegativeInt(env: Env, name: keyof Env, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${String(raw)}"`);
  return n;
}
