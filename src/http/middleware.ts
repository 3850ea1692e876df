/**
 * Request-wide middleware: bearer authentication on `/api/**` and the single `onError`
 * that renders every failure as an RFC 9457 problem (the request id is Hono's
 * `requestId`, see src/app.ts).
 */
import type { Context, MiddlewareHandler } from "hono";
import { canOpenSocket, tokenVerifier } from "../auth/verify";
import { ConfigError, loadConfig } from "../config";
import type { AppEnv } from "./app-env";
import { chargeFailedAuth } from "./rate-limit";
import { HTTPException } from "hono/http-exception";
import { badRequest, internalError, Problem, renderProblem, TOKEN_HINT, unauthorized } from "./problem";

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
  if (!token) return refuse(c, header ? `The Authorization header is not \`Bearer <JWT>\`. ${TOKEN_HINT}` : undefined);
  const result = await tokenVerifier(loadConfig(c.env).auth)(token);
  if (!result.ok) return refuse(c, `${result.reason} ${TOKEN_HINT}`);
  if (c.req.header("Upgrade")?.toLowerCase() === "websocket" && !canOpenSocket(result.expiresAt)) return refuse(c);
  c.set("principal", result.principal);
  c.set("tokenExpiresAt", result.expiresAt);
  await next();
};

/** What the caller should do about a refusal the framework raised. */
function frameworkDetail(err: HTTPException): string {
  if (err.status === 415) return "Unsupported Content-Type: send the body as application/json";
  return err.message || `Request refused with HTTP ${err.status}`;
}

/** A 401, charged to the client's budget of failed authentications (a 429 once it is spent). */
async function refuse(c: Context<AppEnv>, detail?: string): Promise<never> {
  await chargeFailedAuth(c);
  throw unauthorized(detail);
}

/** The one place errors become responses. Unknown errors never leak their message. */
export function onError(err: Error, c: Context<AppEnv>): Response {
  const id = c.get("requestId") ?? crypto.randomUUID();
  let problem: Problem;
  if (err instanceof Problem) {
    problem = err;
  } else if (err instanceof HTTPException && err.status === 400) {
    // Hono's validator refuses a body it cannot parse ("Malformed JSON in request body").
    problem = badRequest(err.message);
  } else if (err instanceof HTTPException && err.status < 500) {
    // The framework's other refusals (the OpenAPI routes' media-type gate answers 415) keep their status.
    problem = new Problem(err.status, frameworkDetail(err));
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
