import type { IngestJob } from "./jobs/ingest-job";
import type { ProjectHub } from "./events/project-hub";
import type { RateLimiter } from "./http/rate-limiter";

/** Bindings and vars of the Worker, as `wrangler.toml` declares them. */
export interface Env {
  INGEST_JOB: DurableObjectNamespace<IngestJob>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  PROJECT_HUB: DurableObjectNamespace<ProjectHub>;
  /** The D1 shards are bound under the names this var lists, in shard order (src/db/shards.ts). */
  D1_SHARDS?: string;
  BUCKET: R2Bucket;
  JOB_EVENTS?: Queue;

  JWT_SECRET?: string;
  JWKS_URL?: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  CURSOR_SECRET?: string;
  MAX_UPLOAD_BYTES?: string;
  RATE_LIMIT_PROJECT_PER_MINUTE?: string;
  RATE_LIMIT_USER_PER_HOUR?: string;
  STAGE_MAX_ATTEMPTS?: string;
  ALARM_DELAY_MS?: string;
  SLICES_PER_ALARM?: string;
  /** "true": log every billable operation for scripts/capacity.mjs (src/capacity/cost-trace.ts). */
  TRACE_COSTS?: string;
}
