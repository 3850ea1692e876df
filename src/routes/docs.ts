/** Unauthenticated routes: health, the OpenAPI document and its interactive reference. */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { publicResponseHeaders, PublicRequestHeaders } from "../contract/headers";
import type { AppEnv } from "../http/app-env";

export const docsRoutes = new OpenAPIHono<AppEnv>();

docsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/health",
    summary: "Liveness",
    security: [],
    request: { headers: PublicRequestHeaders },
    responses: {
      200: {
        description: "The service is up",
        headers: publicResponseHeaders,
        content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } },
      },
    },
  }),
  (c) => c.json({ status: "ok" as const }, 200),
);

const docsPage = createRoute({
  method: "get",
  path: "/docs",
  summary: "The interactive API reference",
  security: [],
  request: { headers: PublicRequestHeaders },
  responses: { 200: { description: "HTML", headers: publicResponseHeaders, content: { "text/html": { schema: z.string() } } } },
});

/**
 * The reference page: Swagger UI from the `swagger-ui-dist` npm package, copied into the
 * static assets by `scripts/build-web.mjs` (under `/vendor/swagger-ui/`), so the page
 * renders with no internet: no CDN, no validator badge.
 */
docsRoutes.openapi(docsPage, (c) =>
  c.html(`<!doctype html>
<html lang="en">
  <head>
    <title>edge-ingest API</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui" data-url="/openapi.json"></div>
    <script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>
    <script src="/vendor/swagger-ui/docs-init.js"></script>
  </body>
</html>`),
);
