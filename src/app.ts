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
import { arxivRoutes } from "./routes/arxiv";
import { compatRoutes } from "./routes/compat";
import { docsRoutes } from "./routes/docs";
import { documentRoutes } from "./routes/documents";
import { eventRoutes } from "./routes/events";
import { batchRoutes } from "./routes/batches";
import { jobRoutes } from "./routes/jobs";
import { completeOpenApi } from "./routes/openapi-contract";
import { webhookRoutes } from "./routes/webhooks";

export const app = new OpenAPIHono<AppEnv>();

app.use("*", requestId);
app.use("/api/*", authenticate);
app.use("/api/*", rateLimit);
app.use("/api/*", d1Bookmarks);
app.route("/", docsRoutes);
app.route("/", jobRoutes);
app.route("/", batchRoutes);
app.route("/", eventRoutes);
app.route("/", documentRoutes);
app.route("/", compatRoutes);
app.route("/", arxivRoutes);
app.route("/", webhookRoutes);

app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
const OPENAPI_CONFIG = {
  openapi: "3.1.0",
  info: {
    title: "edge-ingest",
    version: "1.0.0",
    description: "Ingest jobs on Cloudflare Workers: upload, poll, list, cancel, delete, watch.",
  },
  security: [{ bearer: [] }],
};
let openApiDocument: object | undefined;
/** Generated from the routes' schemas, then completed with the headers and frames every route shares. */
app.get("/openapi.json", (c) => c.json((openApiDocument ??= completeOpenApi(app.getOpenAPI31Document(OPENAPI_CONFIG)))));

app.notFound((c) => {
  throw notFound(`No route for ${c.req.method} ${c.req.path}`);
});
app.onError(onError);
