import type { Context } from "hono";
import type { AppEnv } from "./app-env";
import { loadConfig } from "../config";
import { Problem } from "./problem";
import type { RateDecision } from "./rate-limiter";

const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * Charges the request to the caller's hourly budget and, when the project is known,
 * to the project's per-minute budget. Both limiters are asked at once (one round trip
 * of latency); a request refused by either is answered 429 with `Retry-After`. The
 * tightest budget is reported in the `RateLimit-*` headers (IETF httpapi-ratelimit-headers).
 */
export async function chargeRateLimits(c: Context<AppEnv>, projectId: string | null): Promise<void> {
  const config = loadConfig(c.env);
  const principal = c.get("principal");
  const limiter = (name: string) => c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(name));
  const checks: Promise<RateDecision>[] = [
    limiter(`user:${principal.sub}`).consume(config.rateLimitUserPerHour, HOUR),
  ];
  if (projectId !== null) {
    checks.push(limiter(`project:${projectId}`).consume(config.rateLimitProjectPerMinute, MINUTE));
  }
  const decisions = await Promise.all(checks);
  const now = Date.now();
  const refused = decisions.filter((d) => !d.allowed).sort((a, b) => b.resetAt - a.resetAt)[0];
  const tightest = refused ?? decisions.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  const resetSeconds = Math.max(1, Math.ceil((tightest.resetAt - now) / 1000));
  const headers = {
    "RateLimit-Limit": String(tightest.limit),
    "RateLimit-Remaining": String(tightest.remaining),
    "RateLimit-Reset": String(resetSeconds),
  };
  if (refused) {
    throw new Problem(429, "Rate limit exceeded", { headers: { ...headers, "Retry-After": String(resetSeconds) } });
  }
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
}
