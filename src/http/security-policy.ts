/**
 * Security headers for every response, as values with no dependencies: the Worker's
 * middleware (`security-headers.ts`) sends them, and `scripts/build-web.mjs` writes them
 * into `dist/web/_headers`, which Workers static assets apply to the files they serve
 * without the Worker.
 *
 * Pages (the dashboard, `/docs`) load scripts, styles and data from this origin only
 * and may not be framed by any page (clickjacking); API responses may load nothing.
 * Every response forbids MIME sniffing and sends no `Referer` onward.
 */

/**
 * The pages' policy. Styles allow inline `style` attributes (Swagger UI sets them);
 * `connect-src 'self'` covers the same-origin WebSockets of the live views.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** JSON, problems and text: nothing to load, nothing to frame. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** The headers every response carries, besides its CSP. */
export const COMMON_SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  // For browsers without CSP `frame-ancestors`.
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
} as const;

/** The `_headers` file of the static assets: the same headers on every file. */
export function staticAssetHeaders(): string {
  const lines = Object.entries({ ...COMMON_SECURITY_HEADERS, "Content-Security-Policy": PAGE_CSP }).map(([k, v]) => `  ${k}: ${v}`);
  return `/*\n${lines.join("\n")}\n`;
}
