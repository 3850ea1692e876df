import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { emptyBook, grantLease, type LeaseAsk, type LeaseGrant, type LimiterBook } from "./leases";

const KEY = "window";

/**
 * The budget of one key (a project per minute, a user per hour), handed to isolates as
 * leases (`leases.ts`). A Durable Object runs one call at a time and `lease` decides
 * without an `await`, so the window's `granted` count is exact under any concurrency and
 * from any number of isolates (DESIGN §6).
 *
 * Durability: every grant is written (`storage.kv.put`, synchronous in SQLite-backed
 * objects) before the method returns, and the output gate holds the reply until that write
 * is committed. So an isolate never holds a token the object could forget: after a crash
 * or an eviction the object restarts from a `granted` at least as large as every token it
 * handed out, and the window cannot over-admit. (The previous design saved counts from an
 * alarm once a second and could forget up to a second of admissions on a crash.) With
 * leases the object is asked about once per lease, not once per request, so a write per
 * grant is cheap. Which isolates are active is kept in memory only: after a restart the
 * first grants are sized as if fewer isolates shared the budget, which is still safe.
 */
export class RateLimiter extends DurableObject<Env> {
  private book: LimiterBook;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const saved = ctx.storage.kv.get<{ start: number; granted?: number; count?: number }>(KEY);
    // `count` is the field name the pre-lease limiter saved; it counted admissions, i.e. grants.
    this.book = saved ? { ...emptyBook(), windowStart: saved.start, granted: saved.granted ?? saved.count ?? 0 } : emptyBook();
  }

  /** Grants up to `limit` tokens per `windowMs` window in total, sized by `leaseSize`. */
  lease(limit: number, windowMs: number, ask: LeaseAsk): LeaseGrant {
    const { book, grant } = grantLease(this.book, ask, limit, windowMs, Date.now());
    const changed = book.windowStart !== this.book.windowStart || book.granted !== this.book.granted;
    this.book = book;
    if (changed) this.ctx.storage.kv.put(KEY, { start: book.windowStart, granted: book.granted });
    return grant;
  }

  /**
   * The pre-lease limiter saved its counts from an alarm; an object that still has one
   * scheduled meets it once after an upgrade. Grants are saved as they are made now.
   */
  override async alarm(): Promise<void> {}
}
