/**
 * Rate limits on `/api/**` (DESIGN §6): each request is charged to its caller's hourly
 * budget and, on project routes, to the project's per-minute budget. Budgets are decided
 * in this isolate from leases of tokens granted by each key's `RateLimiter` object
 * (`lease-holder.ts`), so most requests never call an object. The `RateLimit-*` headers
 * (IETF draft-ietf-httpapi-ratelimit-headers) are set here, once, on every response of a
 * charged request, errors included.
 */
import type { Context, MiddlewareHandler } from "hono";
import { canSeeProject } from "../auth/policy";
import { loadConfig } from "../config";
import type { AppEnv } from "./app-env";
import { type AskForLease, LeaseHolder, type RateDecision } from "./lease-holder";
import { badRequest, Problem } from "./problem";
import { isProjectId, PROJECT_ID_RULE } from "./project-id";
import { setResponseHeaders } from "./response-headers";

export type { RateDecision } from "./lease-holder";

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** Above this many keys, holders with nothing left to decide are dropped from memory. */
const MAX_HOLDERS = 10_000;

/** One budget: the limiter object's name, its limit and its window. */
interface Budget {
  key: string;
  limit: number;
  windowMs: number;
}

let isolateId: string | null = null;
const holders = new Map<string, LeaseHolder>();

function holderFor(b: Budget): LeaseHolder {
  const id = `${b.key}|${b.limit}|${b.windowMs}`;
  let holder = holders.get(id);
  if (!holder) {
    // Random values may only be made while handling a request, not at module load.
    isolateId ??= crypto.randomUUID();
    if (holders.size >= MAX_HOLDERS) for (const [k, h] of holders) if (h.idle()) holders.delete(k);
    holder = new LeaseHolder(isolateId);
    holders.set(id, holder);
  }
  return holder;
}

/**
 * The ask a request makes when its holder needs tokens. The stub is made in this request
 * (a stub is an I/O object of the request that made it), and the call is kept alive with
 * `waitUntil`: other requests of the isolate may be waiting on its answer even if this
 * one's caller goes away.
 */
function askFrom(c: Context<AppEnv>, b: Budget): AskForLease {
  return (ask) => {
    const ns = c.env.RATE_LIMITER;
    const answer = ns.get(ns.idFromName(b.key)).lease(b.limit, b.windowMs, ask);
    try {
      c.executionCtx.waitUntil(answer.catch(() => undefined));
    } catch {
      // No execution context (a direct app.request in a script): nothing to keep alive.
    }
    return answer;
  };
}

/** Forgets every lease this isolate holds, as a crash of the isolate would (tests only). */
export function dropLeases(): void {
  holders.clear();
}

/** The caller's budget; its project's, when the caller belongs to it. */
export function userBudget(c: Context<AppEnv>): Budget {
  return { key: `user:${c.get("principal").sub}`, limit: loadConfig(c.env).rateLimitUserPerHour, windowMs: HOUR };
}

export function projectBudget(c: Context<AppEnv>, projectId: string): Budget {
  return { key: `project:${projectId}`, limit: loadConfig(c.env).rateLimitProjectPerMinute, windowMs: MINUTE };
}

/**
 * Charges the request to `budgets` (all at once); a request refused by any of them is
 * answered 429 with `Retry-After`. The tightest budget of the request so far is what the
 * `RateLimit-*` headers report.
 */
export async function chargeRateLimits(c: Context<AppEnv>, budgets: Budget[]): Promise<void> {
  const decisions = await Promise.all(budgets.map((b) => holderFor(b).acquire(askFrom(c, b))));
  const all = [...(c.get("rateLimits") ?? []), ...decisions];
  c.set("rateLimits", all);
  const refused = all.filter((d) => !d.allowed).sort((a, b) => b.resetAt - a.resetAt)[0];
  if (refused) {
    const headers = rateLimitHeaders(all);
    throw new Problem(429, "Rate limit exceeded", { headers: { ...headers, "Retry-After": headers["RateLimit-Reset"] } });
  }
}

/** The `RateLimit-*` headers for a request's decisions: the refusing budget, else the tightest. */
export function rateLimitHeaders(decisions: RateDecision[], now = Date.now()): Record<"RateLimit-Limit" | "RateLimit-Remaining" | "RateLimit-Reset", string> {
  const refused = decisions.filter((d) => !d.allowed).sort((a, b) => b.resetAt - a.resetAt)[0];
  const tightest = refused ?? decisions.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  return {
    "RateLimit-Limit": String(tightest.limit),
    "RateLimit-Remaining": String(tightest.remaining),
    "RateLimit-Reset": String(Math.max(1, Math.ceil((tightest.resetAt - now) / 1000))),
  };
}

/** The budget of failed authentications of one client address (`CF-Connecting-IP`, set by Cloudflare's edge). */
function failedAuthBudget(c: Context<AppEnv>): Budget {
  const ip = c.req.header("CF-Connecting-IP") ?? "unknown";
  return { key: `auth-failures:${ip}`, limit: loadConfig(c.env).rateLimitFailedAuthPerMinute, windowMs: MINUTE };
}

/**
 * Charges one failed authentication to the client's address, and throws 429 when the
 * address has spent its budget: a client guessing or replaying tokens is slowed to the
 * budget, and a valid token from the same address is never charged. Leases make the
 * charge local to the isolate most of the time (no object call per failure).
 */
export async function chargeFailedAuth(c: Context<AppEnv>): Promise<void> {
  const budget = failedAuthBudget(c);
  const decision = await holderFor(budget).acquire(askFrom(c, budget));
  if (decision.allowed) return;
  const headers = rateLimitHeaders([decision]);
  throw new Problem(
    429,
    `Too many failed authentications from this address (limit ${budget.limit} per minute): retry after ${headers["RateLimit-Reset"]} s with a valid token`,
    { headers: { ...headers, "Retry-After": headers["RateLimit-Reset"] } },
  );
}

/** `/api/projects/{projectId}/…` → the project id segment as the router sees it, else null. */
function projectOfPath(path: string): string | null {
  return /^\/api\/projects\/([^/]+)(?:\/|$)/.exec(path)?.[1] ?? null;
}

/**
 * Charges every authenticated `/api/**` request before its route validates anything, so
 * a 400 is charged (and answered with the headers) like a 200. The project's budget is
 * charged only for members of the project: a stranger spends only its own budget. Routes
 * addressed by job id alone learn the project later and charge it themselves.
 */
export const rateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const budgets = [userBudget(c)];
  const projectId = projectOfPath(c.req.path);
  const valid = projectId === null || isProjectId(projectId);
  if (projectId !== null && valid && canSeeProject(c.get("principal"), projectId)) budgets.push(projectBudget(c, projectId));
  await chargeRateLimits(c, budgets);
  // An id outside the rule is refused before any route: it would need decoding, and a
  // spelling the router decodes one way and this middleware another escapes the project's budget.
  if (!valid) throw badRequest(PROJECT_ID_RULE);
  await next();
  const decisions = c.get("rateLimits");
  if (decisions?.length) setResponseHeaders(c, rateLimitHeaders(decisions));
};
