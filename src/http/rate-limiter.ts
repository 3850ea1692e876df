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
const SAVE_INTERVAL_MS = 1_000;

/**
 * One fixed-window counter per key (a project per minute, a user per hour). A Durable
 * Object runs one call at a time and `consume` decides without an `await`, so counts are
 * exact under any concurrency, which a per-isolate map could never be (DESIGN §6).
 *
 * The count lives in memory and is saved at most once per `SAVE_INTERVAL_MS`, from the
 * object's alarm. Writing on every request put all of a project's traffic behind one
 * storage commit per request in this single object (bench/api.mjs measured GET one job
 * at under half its throughput that way). An object is only evicted after it has been
 * idle, by which time the count is saved; a crash loses at most one interval of counts.
 */
export class RateLimiter extends DurableObject<Env> {
  private readonly window: Window;
  private saveScheduled = false;

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
    if (!this.saveScheduled) {
      this.saveScheduled = true;
      void this.ctx.storage.setAlarm(now + SAVE_INTERVAL_MS, { allowUnconfirmed: true });
    }
    return { allowed: true, limit, remaining: limit - w.count, resetAt };
  }

  /** Saves the window's count (see the class comment). */
  override async alarm(): Promise<void> {
    this.saveScheduled = false;
    this.ctx.storage.kv.put(KEY, { start: this.window.start, count: this.window.count });
  }
}
