/** Unauthenticated routes: health, the OpenAPI document and its interactive reference. */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/app-env";

export const docsRoutes = new OpenAPIHono<AppEnv>();

docsRoutes.get("/health", (c) => c.json({ status: "ok" }));

/**
 * The reference page: Swagger UI from the `swagger-ui-dist` npm package, copied into the
 * static assets by `scripts/build-web.mjs` (under `/vendor/swagger-ui/`), so the page
 * renders with no internet: no CDN, no validator badge.
 */
docsRoutes.get("/docs", (c) =>
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
