/** Unauthenticated routes: health, the OpenAPI document and its interactive reference. */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/app-env";

export const docsRoutes = new OpenAPIHono<AppEnv>();

docsRoutes.get("/health", (c) => c.json({ status: "ok" }));

/** The reference page: Scalar's API reference, loaded from its CDN by the browser. */
docsRoutes.get("/docs", (c) =>
  c.html(`<!doctype html>
<html>
  <head>
    <title>edge-ingest API</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <script id="api-reference" data-url="/openapi.json"></script>
    <script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference"></script>
  </body>
</html>`),
);
