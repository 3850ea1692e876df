/**
 * The Hono app: middleware, every route family, and the OpenAPI document generated
 * from the routes' own zod schemas.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { HEADER_COMPONENTS, PARAMETER_COMPONENTS, publicResponseHeaders, PublicRequestHeaders } from "./contract/headers";
import { JobEvent, JobSnapshotFrame, ProjectEventFrame, ProjectSnapshotFrame } from "./contract/job-event";
import type { AppEnv } from "./http/app-env";
import { d1Bookmarks } from "./http/bookmark";
import { requestId } from "hono/request-id";
import { authenticate, onError } from "./http/middleware";
import { notFound } from "./http/problem";
import { rateLimit } from "./http/rate-limit";
import { arxivRoutes } from "./routes/arxiv";
import { securityHeaders } from "./http/security-headers";
import { compatRoutes } from "./routes/compat";
import { docsRoutes } from "./routes/docs";
import { documentRoutes } from "./routes/documents";
import { eventRoutes } from "./routes/events";
import { batchRoutes } from "./routes/batches";
import { jobRoutes } from "./routes/jobs";
import { lookupRoutes } from "./routes/lookup";
import { retentionRoutes } from "./routes/retention";
import { webhookRoutes } from "./routes/webhooks";

export const app = new OpenAPIHono<AppEnv>();

// Accepts a caller's `X-Request-Id` (word characters, `-` and `=`, up to 255) or makes one.
app.use("*", requestId());
app.use("*", securityHeaders);
app.use("/api/*", authenticate);
app.use("/api/*", rateLimit);
app.use("/api/*", d1Bookmarks);
app.route("/", docsRoutes);
app.route("/", jobRoutes);
app.route("/", lookupRoutes);
app.route("/", batchRoutes);
app.route("/", eventRoutes);
app.route("/", documentRoutes);
app.route("/", compatRoutes);
app.route("/", arxivRoutes);
app.route("/", webhookRoutes);
app.route("/", retentionRoutes);

app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
for (const [name, header] of Object.entries(HEADER_COMPONENTS)) app.openAPIRegistry.registerComponent("headers", name, header);
for (const [name, parameter] of Object.entries(PARAMETER_COMPONENTS)) app.openAPIRegistry.registerParameter(name, parameter);
// The WebSocket frames: no route returns them as a body, so they are registered by name for `x-websocket` to refer to.
for (const [name, frame] of Object.entries({ JobEvent, JobSnapshotFrame, ProjectSnapshotFrame, ProjectEventFrame })) app.openAPIRegistry.register(name, frame);
const OPENAPI_CONFIG = {
  openapi: "3.1.0",
  info: {
    title: "edge-ingest",
    version: "1.0.0",
    description: "Ingest jobs on Cloudflare Workers: upload, poll, list, cancel, delete, watch.",
  },
  security: [{ bearer: [] }],
};
let openApiDocument: Record<string, unknown> | undefined;
/** Generated from the routes' own schemas and header declarations, once per isolate. */
app.openapi(
  createRoute({
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    security: [],
    request: { headers: PublicRequestHeaders },
    responses: {
      200: { description: "OpenAPI 3.1", headers: publicResponseHeaders, content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } },
    },
  }),
  (c) => c.json((openApiDocument ??= app.getOpenAPI31Document(OPENAPI_CONFIG) as unknown as Record<string, unknown>), 200),
);

app.notFound((c) => {
  throw notFound(`No route for ${c.req.method} ${c.req.path}`);
});
app.onError(onError);
