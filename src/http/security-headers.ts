/** Sends the security headers (`security-policy.ts`) on every response of the Worker. */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";
import { setResponseHeaders } from "./response-headers";
import { API_CSP, COMMON_SECURITY_HEADERS, PAGE_CSP } from "./security-policy";

export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  // A 101's headers are the upgrade's: nothing here applies to a socket.
  if (c.res.status === 101) return;
  const html = (c.res.headers.get("Content-Type") ?? "").startsWith("text/html");
  setResponseHeaders(c, { ...COMMON_SECURITY_HEADERS, "Content-Security-Policy": html ? PAGE_CSP : API_CSP });
};
