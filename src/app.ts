/**
 * The Hono app: middleware, every route family, and the OpenAPI document generated
 * from the routes' own zod schemas.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./http/app-env";
import { d1Bookmarks } from "./http/bookmark";
import { authenticate, onError, requestId } from "./http/middleware";
import { notFound } from "./http/problem";
import { rateLimit } from "./http/rate-limit";
import { compatRoutes } from "./routes/compat";
import { docsRoutes } from "./routes/docs";
import { documentRoutes } from "./routes/documents";
import { eventRoutes } from "./routes/events";
import { jobRoutes } from "./routes/jobs";
import { webhookRoutes } from "./routes/webhooks";

export const app = new OpenAPIHono<AppEnv>();

app.use("*", requestId);
app.use("/api/*", authenticate);
app.use("/api/*", rateLimit);
app.use("/api/*", d1Bookmarks);
app.route("/", docsRoutes);
app.route("/", jobRoutes);
app.route("/", eventRoutes);
app.route("/", documentRoutes);
app.route("/", compatRoutes);
app.route("/", webhookRoutes);

app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
app.doc31("/openapi.json", {
  openapi: "3.1.0",
  info: {
    title: "edge-ingest",
    version: "1.0.0",
    description: "Ingest jobs on Cloudflare Workers: upload, poll, list, cancel, delete, watch.",
  },
  security: [{ bearer: [] }],
});

app.notFound((c) => {
  throw notFound(`No route for ${c.req.method} ${c.req.path}`);
});
app.onError(onError);
