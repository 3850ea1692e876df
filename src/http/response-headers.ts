import type { Context } from "hono";
import type { AppEnv } from "./app-env";

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
