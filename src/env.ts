/**
 * The Worker's environment. Bindings and `[vars]` come from `wrangler.toml` through the
 * generated `worker-configuration.d.ts` (`npm run types`; `npm run types:check` fails
 * when it is stale). Secrets and optional knobs that `wrangler.toml` does not list are
 * declared here. Type-only: importing it never pulls a module in (no import cycles).
 */

/** Secrets (`.dev.vars` locally, `wrangler secret put` in production) and optional vars. */
export interface UnlistedVars {
  JWT_SECRET?: string;
  JWKS_URL?: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  CURSOR_SECRET?: string;
  MAX_PDF_PAGES?: string;
  MAX_PDF_BYTES?: string;
  MAX_DOCUMENT_CHARS?: string;
  MAX_DOCUMENT_CHUNKS?: string;
  MAX_PDF_STREAM_BYTES?: string;
  MAX_PDF_DECODED_BYTES?: string;
  SLICE_DECODED_BYTES?: string;
  INDEX_PROGRESS_INTERVAL_MS?: string;
  SOURCE_RESERVATION_MS?: string;
  STALL_AFTER_MS?: string;
  /** "true": a completed job's source stays in R2 (deleted by default once its document is built). */
  KEEP_SOURCES?: string;
  /** "true": log every billable operation for scripts/capacity.mjs (src/capacity/cost-trace.ts). */
  TRACE_COSTS?: string;
  WEBHOOK_SECRET_KEY?: string;
  WEBHOOK_RETRY_DELAYS_MS?: string;
  WEBHOOK_TIMEOUT_MS?: string;
  ARXIV_429_PAUSE_MS?: string;
  ARXIV_FETCH_TIMEOUT_MS?: string;
}

/** Bindings and vars of the Worker. */
export type Env = Cloudflare.Env & UnlistedVars;
