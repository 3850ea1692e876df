/**
 * The HTTP headers of the API, declared once and used by each route's `createRoute`:
 * request headers as zod (so they are validated and documented together), response
 * headers as OpenAPI header components that every response refers to.
 */
import { z } from "@hono/zod-openapi";

/** Cloudflare's D1 session bookmark header, sent by every response that touched D1 and read back on requests. */
export const BOOKMARK_HEADER = "x-d1-bookmark";

/** Response header components, by name (RFC 9110, IETF httpapi-ratelimit-headers, Cloudflare D1). */
export const HEADER_COMPONENTS = {
  XRequestId: {
    description: "The request's id; the server's log line for this request carries it. A sane `X-Request-Id` sent by the caller is echoed.",
    schema: { type: "string" },
  },
  RateLimitLimit: { description: "The tightest budget that applied to this request (requests per window).", schema: { type: "integer" } },
  RateLimitRemaining: { description: "Requests left in that budget's window.", schema: { type: "integer" } },
  RateLimitReset: { description: "Seconds until that window resets.", schema: { type: "integer" } },
  RetryAfter: { description: "Seconds to wait before trying again (RFC 9110 §10.2.3).", schema: { type: "integer" } },
  ETag: { description: "The job's version; send it back in `If-None-Match` to get 304 while it is unchanged.", schema: { type: "string" } },
  Location: { description: "The created resource's URL.", schema: { type: "string" } },
  D1Bookmark: {
    description: "`<shard>:<D1 bookmark>` of this request's D1 session; send it back as x-d1-bookmark to read at least this fresh (read-your-writes).",
    schema: { type: "string" },
  },
} as const;

type HeaderName = keyof typeof HEADER_COMPONENTS;
const ref = (name: HeaderName) => ({ $ref: `#/components/headers/${name}` });

/** Headers of every response, /api or not. */
const EVERY_RESPONSE = { "X-Request-Id": ref("XRequestId") };
/** Headers of every /api response. */
const API_RESPONSE = { ...EVERY_RESPONSE, [BOOKMARK_HEADER]: ref("D1Bookmark") };
/** The budget the rate limiter charged; 401 and 403 are decided before any budget is. */
const RATE_LIMIT = { "RateLimit-Limit": ref("RateLimitLimit"), "RateLimit-Remaining": ref("RateLimitRemaining"), "RateLimit-Reset": ref("RateLimitReset") };

/** Response headers a route adds to the shared ones, by wire name. */
const ROUTE_HEADERS = { ETag: ref("ETag"), Location: ref("Location") } as const;

/** The headers of a successful /api response, plus `extra` (e.g. `"ETag"`, `"Location"`). */
export function apiResponseHeaders(...extra: (keyof typeof ROUTE_HEADERS)[]) {
  return { ...API_RESPONSE, ...RATE_LIMIT, ...Object.fromEntries(extra.map((h) => [h, ROUTE_HEADERS[h]])) };
}

/** The headers of a refusal with this status on an /api route. */
export function problemHeaders(status: number) {
  return {
    ...API_RESPONSE,
    ...(status === 401 || status === 403 ? {} : RATE_LIMIT),
    ...(status === 429 ? { "Retry-After": ref("RetryAfter") } : {}),
  };
}

/** The headers of a response outside /api (health, docs). */
export const publicResponseHeaders = EVERY_RESPONSE;

/**
 * Request headers every route shares, by component name: each is written once in the
 * document (`components/parameters`) and referred to by every route that reads it.
 */
export const PARAMETER_COMPONENTS = {
  RequestId: z
    .string()
    .optional()
    .openapi("RequestId", {
      param: { name: "X-Request-Id", in: "header" },
      description: "Your own request id (1–128 of `[A-Za-z0-9_.:-]`); otherwise the server makes one.",
    }),
  D1BookmarkRequest: z
    .string()
    .optional()
    .openapi("D1BookmarkRequest", {
      param: { name: BOOKMARK_HEADER, in: "header" },
      description:
        "The x-d1-bookmark of a previous response: this request reads D1 at least that fresh. Absent: reads start at the primary. `first-unconstrained`: any replica.",
      example: "DB_0:00000000-00000008-00000000-00000000000000000000000000000000",
    }),
};

/** Request headers of a route outside /api. */
export const PublicRequestHeaders = z.object({ "X-Request-Id": PARAMETER_COMPONENTS.RequestId });

/** Request headers of every /api route. */
export const ApiRequestHeaders = PublicRequestHeaders.extend({ [BOOKMARK_HEADER]: PARAMETER_COMPONENTS.D1BookmarkRequest });
