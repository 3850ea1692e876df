import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/** The outcome of one `consume`. `resetAt` is epoch ms when the window rolls over. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetAt: number;
}

interface Window {
  start: number;
  count: number;
}

const KEY = "window";

/**
 * One fixed-window counter per key (a project per minute, a user per hour). A Durable
 * Object runs one call at a time and `consume` decides without an `await`, so counts are
 * exact under any concurrency, which a per-isolate map could never be (DESIGN §6).
 *
 * The count lives in memory and is written through with `allowUnconfirmed`: the reply
 * does not wait for the write to be durable. Waiting put every request of a project
 * behind a storage commit in this one object (bench/api.mjs measured GET one job at
 * under half its throughput that way). The write still happens, in order, so a restarted
 * object resumes the window's count; if the write itself failed, the runtime would
 * restart the object, losing at most the unconfirmed increments of that moment.
 */
export class RateLimiter extends DurableObject<Env> {
  private readonly window: Window;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.window = ctx.storage.kv.get<Window>(KEY) ?? { start: -1, count: 0 };
  }

  /** Counts one request against `limit` per `windowMs`; refused requests are not counted. */
  consume(limit: number, windowMs: number): RateDecision {
    const now = Date.now();
    const start = now - (now % windowMs);
    const w = this.window;
    if (w.start !== start) {
      w.start = start;
      w.count = 0;
    }
    const resetAt = start + windowMs;
    if (w.count >= limit) return { allowed: false, limit, remaining: 0, resetAt };
    w.count += 1;
    void this.ctx.storage.put(KEY, { start: w.start, count: w.count }, { allowUnconfirmed: true });
    return { allowed: true, limit, remaining: limit - w.count, resetAt };
  }
}
