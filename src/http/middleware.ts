/**
 * Request-wide middleware: a request id on every response, bearer authentication on
 * `/api/**`, and the single `onError` that renders every failure as an RFC 9457 problem.
 */
import type { Context, MiddlewareHandler } from "hono";
import { tokenVerifier } from "../auth/verify";
import { ConfigError, loadConfig } from "../config";
import type { AppEnv } from "./app-env";
import { HTTPException } from "hono/http-exception";
import { badRequest, internalError, Problem, renderProblem, unauthorized } from "./problem";

/** Accepts a caller's `X-Request-Id` if it is sane, else makes one. */
export const requestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const given = c.req.header("X-Request-Id");
  const id = given && /^[\w.:-]{1,128}$/.test(given) ? given : crypto.randomUUID();
  c.set("requestId", id);
  await next();
  setResponseHeaders(c, { "X-Request-Id": id });
};

/**
 * Adds `headers` to the response. A response from a Durable Object (a 101, or its
 * refusal) has immutable headers, so it is copied: a 101 at once, without trying (a
 * refused set throws, and with 1,000 upgrades the throws cost more than the rest of the
 * Worker's part of an upgrade).
 */
export function setResponseHeaders(c: Context<AppEnv>, headers: Record<string, string>): void {
  if (!c.res.webSocket) {
    try {
      for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
      return;
    } catch {
      // immutable: copied below
    }
  }
  const copy = new Headers(c.res.headers);
  for (const [k, v] of Object.entries(headers)) copy.set(k, v);
  const { status, webSocket } = c.res;
  c.res = new Response(webSocket ? null : c.res.body, { status, headers: copy, webSocket });
}

/** The live-event routes, the only ones a WebSocket upgrade reaches. */
const EVENT_ROUTES = [
  /^\/api\/projects\/[^/]+\/ingest\/jobs\/[^/]+\/events$/,
  /^\/api\/projects\/[^/]+\/ingest\/batches\/[^/]+\/events$/,
  /^\/api\/projects\/[^/]+\/ingest\/events$/,
];

/**
 * Whether `?access_token=` may carry the token: browsers cannot set headers on a
 * WebSocket, so a GET upgrade of an event route may use it, and nothing else may
 * (RFC 6750 §2.3: tokens in URLs end up in logs).
 */
export function acceptsQueryToken(method: string, path: string, upgrade: string | undefined): boolean {
  return method === "GET" && upgrade?.toLowerCase() === "websocket" && EVENT_ROUTES.some((r) => r.test(path));
}

/** Verifies `Authorization: Bearer <JWT>` (or `?access_token=` where `acceptsQueryToken` allows it). */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header("Authorization");
  let token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token && acceptsQueryToken(c.req.method, c.req.path, c.req.header("Upgrade"))) {
    token = c.req.query("access_token") || undefined;
  }
  if (!token) throw unauthorized();
  const result = await tokenVerifier(loadConfig(c.env).auth)(token);
  if (!result.ok) throw unauthorized();
  c.set("principal", result.principal);
  c.set("tokenExpiresAt", result.expiresAt);
  await next();
};

/** The one place errors become responses. Unknown errors never leak their message. */
export function onError(err: Error, c: Context<AppEnv>): Response {
  const id = c.get("requestId") ?? crypto.randomUUID();
  let problem: Problem;
  if (err instanceof Problem) {
    problem = err;
  } else if (err instanceof HTTPException && err.status === 400) {
    // Hono's validator refuses a body it cannot parse ("Malformed JSON in request body").
    problem = badRequest(err.message);
  } else {
    console.error(
      JSON.stringify({
        msg: err instanceof ConfigError ? "configuration error" : "unhandled error",
        requestId: id,
        method: c.req.method,
        path: c.req.path,
        error: err.stack ?? String(err),
      }),
    );
    problem = internalError();
  }
  const res = renderProblem(problem, c.req.path);
  res.headers.set("X-Request-Id", id);
  return res;
}
