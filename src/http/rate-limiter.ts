import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/** The outcome of one `consume`. `resetAt` is epoch ms when the window rolls over. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetAt: number;
}

/**
 * One fixed-window counter per key (a project per minute, a user per hour). A Durable
 * Object runs one call at a time and `consume` has no `await`, so counts are exact under
 * any concurrency, which a per-isolate map could never be (DESIGN §6).
 */
export class RateLimiter extends DurableObject<Env> {
  private windowStart = -1;
  private count = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS rate_window (k INTEGER PRIMARY KEY CHECK (k = 1), window_start INTEGER NOT NULL, count INTEGER NOT NULL)",
    );
    const row = ctx.storage.sql.exec<{ window_start: number; count: number }>("SELECT window_start, count FROM rate_window").toArray()[0];
    if (row) {
      this.windowStart = row.window_start;
      this.count = row.count;
    }
  }

  /** Counts one request against `limit` per `windowMs`; refused requests are not counted. */
  consume(limit: number, windowMs: number): RateDecision {
    const now = Date.now();
    const windowStart = now - (now % windowMs);
    if (windowStart !== this.windowStart) {
      this.windowStart = windowStart;
      this.count = 0;
    }
    const resetAt = windowStart + windowMs;
    if (this.count >= limit) return { allowed: false, limit, remaining: 0, resetAt };
    this.count += 1;
    this.ctx.storage.sql.exec(
      "INSERT INTO rate_window (k, window_start, count) VALUES (1, ?, ?) ON CONFLICT (k) DO UPDATE SET window_start = excluded.window_start, count = excluded.count",
      this.windowStart,
      this.count,
    );
    return { allowed: true, limit, remaining: limit - this.count, resetAt };
  }
}
