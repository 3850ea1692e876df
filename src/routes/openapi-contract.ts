/**
 * What the route definitions do not say one by one: the headers every response carries
 * (request id, rate-limit budget, D1 bookmark), the headers particular routes read or
 * set (Idempotency-Key, If-None-Match/ETag, Location, Retry-After), the WebSocket
 * frames, and the unauthenticated routes. Applied once to the generated document, so a
 * route file never repeats them and a new route gets them for free (DESIGN §7).
 * Pure: document in, document out; anything a route already declares is kept.
 */

type Json = Record<string, unknown>;
interface Operation {
  parameters?: Json[];
  responses?: Record<string, Json & { headers?: Record<string, unknown> }>;
  security?: unknown[];
  [key: string]: unknown;
}
interface Document {
  paths?: Record<string, Record<string, Operation>>;
  components?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

const ref = (kind: "headers" | "parameters" | "schemas", name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** Response headers, by component name (RFC 9110, IETF httpapi-ratelimit-headers, Cloudflare D1). */
const HEADERS: Record<string, Json> = {
  XRequestId: {
    description: "The request's id; the server's log line for this request carries it. A sane `X-Request-Id` sent by the caller is echoed.",
    schema: { type: "string" },
  },
  RateLimitLimit: { description: "The tightest budget that applied to this request (requests per window).", schema: { type: "integer" } },
  RateLimitRemaining: { description: "Requests left in that budget's window.", schema: { type: "integer" } },
  RateLimitReset: { description: "Seconds until that window resets.", schema: { type: "integer" } },
  RetryAfter: { description: "Seconds to wait before trying again (RFC 9110 §10.2.3).", schema: { type: "integer" } },
  ETag: { description: "The job's version; send it back in `If-None-Match` to get 304 while it is unchanged.", schema: { type: "string" } },
  Location: { description: "The created job's URL.", schema: { type: "string" } },
  D1Bookmark: {
    description: "The D1 session bookmark after this request; send it back on later requests to read at least this fresh (read-your-writes).",
    schema: { type: "string" },
  },
};

/** Request headers, by component name. */
const PARAMETERS: Record<string, Json> = {
  IdempotencyKey: {
    name: "Idempotency-Key",
    in: "header",
    required: false,
    description:
      "1–255 visible ASCII characters. The same key in the same project returns the first job (200) for 24 h; the same key with a different file is 409.",
    schema: { type: "string", minLength: 1, maxLength: 255 },
  },
  IfNoneMatch: {
    name: "If-None-Match",
    in: "header",
    required: false,
    description: "An `ETag` from an earlier response: 304 with no body while the job is unchanged.",
    schema: { type: "string" },
  },
  D1BookmarkRequest: {
    name: "x-d1-bookmark",
    in: "header",
    required: false,
    description: "A bookmark from an earlier response: this request reads at least that fresh.",
    schema: { type: "string" },
  },
  RequestId: {
    name: "X-Request-Id",
    in: "header",
    required: false,
    description: "Your own request id (1–128 of `[A-Za-z0-9_.:-]`); otherwise the server makes one.",
    schema: { type: "string" },
  },
  ContentLength: {
    name: "Content-Length",
    in: "header",
    required: false,
    description: "Required for a raw upload (411 without it): the file's size in bytes.",
    schema: { type: "integer", minimum: 1 },
  },
  Upgrade: {
    name: "Upgrade",
    in: "header",
    required: false,
    description: "`websocket` to open the live stream (101); frames are described in `x-websocket`.",
    schema: { type: "string", enum: ["websocket"] },
  },
};

/** Frames of the live streams (DESIGN §5), as schemas a client can generate types from. */
const FRAME_SCHEMAS: Record<string, Json> = {
  JobSnapshotFrame: {
    type: "object",
    required: ["type", "seq", "job"],
    properties: { type: { const: "job.snapshot" }, seq: { type: "integer" }, job: ref("schemas", "Job") },
  },
  ProjectSnapshotFrame: {
    type: "object",
    required: ["type", "projectSeq", "jobs"],
    properties: {
      type: { const: "project.snapshot" },
      projectSeq: { type: "integer" },
      jobs: { type: "array", items: ref("schemas", "Job"), description: "The project's QUEUED and RUNNING jobs." },
    },
  },
  ProjectEventFrame: {
    allOf: [ref("schemas", "JobEvent"), { type: "object", required: ["projectSeq"], properties: { projectSeq: { type: "integer" } } }],
  },
};

const JOB_STREAM = "/api/projects/{projectId}/ingest/jobs/{jobId}/events";
const PROJECT_STREAM = "/api/projects/{projectId}/ingest/events";
const CREATE = "/api/projects/{projectId}/ingest/jobs";
const ONE_JOB = "/api/projects/{projectId}/ingest/jobs/{jobId}";

/** Routes that need no token (DESIGN §7). */
const PUBLIC_PATHS: Record<string, Record<string, Operation>> = {
  "/health": {
    get: {
      summary: "Liveness",
      security: [],
      responses: {
        200: {
          description: "The service is up",
          content: { "application/json": { schema: { type: "object", required: ["status"], properties: { status: { const: "ok" } } } } },
        },
      },
    },
  },
  "/openapi.json": {
    get: {
      summary: "This document",
      security: [],
      responses: { 200: { description: "OpenAPI 3.1", content: { "application/json": { schema: { type: "object" } } } } },
    },
  },
  "/docs": {
    get: {
      summary: "The interactive API reference",
      security: [],
      responses: { 200: { description: "HTML", content: { "text/html": { schema: { type: "string" } } } } },
    },
  },
};

function addParameter(op: Operation, component: string): void {
  const name = (PARAMETERS[component] as { name: string }).name.toLowerCase();
  op.parameters ??= [];
  const present = op.parameters.some((p) => String(p.name ?? "").toLowerCase() === name || p.$ref === ref("parameters", component).$ref);
  if (!present) op.parameters.push(ref("parameters", component));
}

function addHeader(response: Json & { headers?: Record<string, unknown> }, name: string, component: string): void {
  response.headers ??= {};
  const present = Object.keys(response.headers).some((h) => h.toLowerCase() === name.toLowerCase());
  if (!present) response.headers[name] = ref("headers", component);
}

/** The generated document, completed with the headers, frames and public routes above. */
export function completeOpenApi<D extends object>(generated: D): D {
  const doc = structuredClone(generated) as Document;
  doc.components ??= {};
  doc.components.headers = { ...HEADERS, ...doc.components.headers };
  doc.components.parameters = { ...PARAMETERS, ...doc.components.parameters };
  doc.components.schemas = { ...FRAME_SCHEMAS, ...doc.components.schemas };
  doc.paths ??= {};
  for (const [path, ops] of Object.entries(PUBLIC_PATHS)) doc.paths[path] ??= structuredClone(ops);

  for (const [path, ops] of Object.entries(doc.paths)) {
    const api = path.startsWith("/api/");
    for (const [method, op] of Object.entries(ops)) {
      op.responses ??= {};
      if (path === CREATE && method === "post") {
        addParameter(op, "IdempotencyKey");
        addParameter(op, "ContentLength");
        if (op.responses["201"]) addHeader(op.responses["201"], "Location", "Location");
      }
      if (path === ONE_JOB && method === "get") {
        addParameter(op, "IfNoneMatch");
        if (op.responses["200"]) addHeader(op.responses["200"], "ETag", "ETag");
        op.responses["304"] ??= {
          description: "Not Modified: the job still has the `ETag` sent in `If-None-Match`",
          headers: { ETag: ref("headers", "ETag"), "X-Request-Id": ref("headers", "XRequestId") },
        };
      }
      if ((path === JOB_STREAM || path === PROJECT_STREAM) && method === "get") {
        addParameter(op, "Upgrade");
        if (path === PROJECT_STREAM && !op.parameters?.some((p) => p.name === "after")) {
          op.parameters?.push({
            name: "after",
            in: "query",
            required: false,
            description: "The last `projectSeq` seen: the hub replays what came after it.",
            schema: { type: "integer", minimum: 0 },
          });
        }
        op["x-websocket"] ??= {
          description:
            path === JOB_STREAM
              ? "One JSON frame per event: first a JobSnapshotFrame (or, with `?after=<seq>`, the missed events), then JobEvent frames; `seq` has no gaps."
              : "One JSON frame per event: first a ProjectSnapshotFrame, then ProjectEventFrame frames; reconnect with `?after=<projectSeq>` to replay what was missed.",
          frames:
            path === JOB_STREAM
              ? [ref("schemas", "JobSnapshotFrame"), ref("schemas", "JobEvent")]
              : [ref("schemas", "ProjectSnapshotFrame"), ref("schemas", "ProjectEventFrame")],
        };
      }
      addParameter(op, "RequestId");
      if (api) addParameter(op, "D1BookmarkRequest");
      for (const [status, response] of Object.entries(op.responses)) {
        addHeader(response, "X-Request-Id", "XRequestId");
        if (!api) continue;
        addHeader(response, "x-d1-bookmark", "D1Bookmark");
        // 401 and 403 are decided before any budget is charged.
        if (status !== "401" && status !== "403") {
          addHeader(response, "RateLimit-Limit", "RateLimitLimit");
          addHeader(response, "RateLimit-Remaining", "RateLimitRemaining");
          addHeader(response, "RateLimit-Reset", "RateLimitReset");
        }
        if (status === "429") addHeader(response, "Retry-After", "RetryAfter");
      }
    }
  }
  return doc as D;
}
