/**
 * RFC 9457 problem details. Every error the API returns is thrown as a `Problem`
 * somewhere and rendered in exactly one place (`renderProblem`, used by `onError`).
 */

/** RFC 9457 §3.1: "about:blank" means the status code's own title says it all. */
const ABOUT_BLANK = "about:blank";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  411: "Length Required",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  426: "Upgrade Required",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** A typed API error; `detail` is always present and safe to show the caller. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extra: { type?: string; headers?: Record<string, string>; fields?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.name = "Problem";
  }
}

export const badRequest = (detail: string, fields?: Record<string, unknown>) => new Problem(400, detail, { fields });
/** How to get a token, for the 401s that lack one. */
export const TOKEN_HINT = "Send `Authorization: Bearer <JWT>`; against a local server, `npm run token` prints one.";
export const unauthorized = (detail = `Authentication required. ${TOKEN_HINT}`) =>
  new Problem(401, detail, { headers: { "WWW-Authenticate": 'Bearer realm="edge-ingest"' } });
export const forbidden = (detail = "Insufficient permissions") => new Problem(403, detail);
export const notFound = (detail: string) => new Problem(404, detail);
export const conflict = (detail: string) => new Problem(409, detail);

/** Renders a problem as `application/problem+json`. */
export function renderProblem(p: Problem, instance?: string): Response {
  const body = {
    type: p.extra.type ?? ABOUT_BLANK,
    title: TITLES[p.status] ?? "Error",
    status: p.status,
    detail: p.detail,
    ...(instance ? { instance } : {}),
    ...p.extra.fields,
  };
  return new Response(JSON.stringify(body), {
    status: p.status,
    headers: { "Content-Type": "application/problem+json", ...p.extra.headers },
  });
}

/** The one shape an unexpected error takes on the wire: no message, no stack. */
export const internalError = () => new Problem(500, "Internal server error");
