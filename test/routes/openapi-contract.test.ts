import { describe, expect, it } from "vitest";
import { call } from "../helpers";

type Op = {
  parameters?: { name?: string; $ref?: string }[];
  responses: Record<string, { headers?: Record<string, unknown> }>;
  security?: unknown[];
  "x-websocket"?: unknown;
};
type Doc = {
  paths: Record<string, Record<string, Op>>;
  components: { parameters: Record<string, { name: string }>; headers: Record<string, unknown>; schemas: Record<string, unknown> };
};

async function doc(): Promise<Doc> {
  return (await call("/openapi.json")).json<Doc>();
}
/** Parameter names of an operation, with $refs resolved. */
const paramNames = (d: Doc, op: Op) => (op.parameters ?? []).map((p) => (p.$ref ? d.components.parameters[p.$ref.split("/").pop()!]!.name : p.name));

describe("GET /openapi.json (DESIGN §7: complete enough to generate a client)", () => {
  it("documents /health, /openapi.json and /docs without auth", async () => {
    const d = await doc();
    for (const path of ["/health", "/openapi.json", "/docs"]) expect(d.paths[path]?.get?.security).toEqual([]);
  });

  it("gives every /api response X-Request-Id, x-d1-bookmark and the RateLimit-* budget, and every 429 Retry-After", async () => {
    const d = await doc();
    for (const [path, ops] of Object.entries(d.paths)) {
      for (const op of Object.values(ops)) {
        expect(paramNames(d, op), path).toContain("X-Request-Id");
        for (const [status, res] of Object.entries(op.responses)) {
          expect(Object.keys(res.headers ?? {}), `${path} ${status}`).toContain("X-Request-Id");
          if (!path.startsWith("/api/")) continue;
          expect(paramNames(d, op), path).toContain("x-d1-bookmark");
          expect(Object.keys(res.headers ?? {}), `${path} ${status}`).toContain("x-d1-bookmark");
          if (status !== "401" && status !== "403")
            expect(Object.keys(res.headers ?? {})).toEqual(expect.arrayContaining(["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]));
          if (status === "429") expect(Object.keys(res.headers ?? {})).toContain("Retry-After");
        }
      }
    }
  });

  it("documents Idempotency-Key, the raw body and Location on create, If-None-Match/ETag/304 on GET job", async () => {
    const d = await doc();
    const create = d.paths["/api/projects/{projectId}/ingest/jobs"]!.post!;
    expect(paramNames(d, create)).toEqual(expect.arrayContaining(["Idempotency-Key", "Content-Length", "filename"]));
    expect(Object.keys(create.responses["201"]!.headers!)).toContain("Location");
    expect(Object.keys((create as unknown as { requestBody: { content: object } }).requestBody.content)).toEqual(
      expect.arrayContaining(["multipart/form-data", "application/pdf", "text/plain", "text/markdown", "text/html"]),
    );
    const get = d.paths["/api/projects/{projectId}/ingest/jobs/{jobId}"]!.get!;
    expect(paramNames(d, get)).toContain("If-None-Match");
    expect(Object.keys(get.responses["200"]!.headers!)).toContain("ETag");
    expect(get.responses["304"]).toBeDefined();
  });

  it("declares Location only on the responses that create something, and ETag on both answers of GET job", async () => {
    const d = await doc();
    const withLocation = Object.entries(d.paths).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, op]) =>
        Object.entries(op.responses)
          .filter(([, res]) => Object.keys(res.headers ?? {}).includes("Location"))
          .map(([status]) => `${method.toUpperCase()} ${path} ${status}`),
      ),
    );
    expect(withLocation.sort()).toEqual([
      "POST /api/projects/{projectId}/ingest/batches 201",
      "POST /api/projects/{projectId}/ingest/jobs 201",
      "POST /api/projects/{projectId}/webhooks 201",
      "POST /api/v1/ingestion/arxiv 201",
    ]);
    const get = d.paths["/api/projects/{projectId}/ingest/jobs/{jobId}"]!.get!;
    for (const status of ["200", "304"]) expect(Object.keys(get.responses[status]!.headers!), status).toContain("ETag");
  });

  it("documents both WebSocket upgrades and their frames", async () => {
    const d = await doc();
    for (const path of ["/api/projects/{projectId}/ingest/jobs/{jobId}/events", "/api/projects/{projectId}/ingest/events"]) {
      const op = d.paths[path]!.get!;
      expect(paramNames(d, op)).toEqual(expect.arrayContaining(["Upgrade", "after"]));
      expect(op.responses["101"]).toBeDefined();
      expect(op["x-websocket"]).toBeDefined();
    }
    expect(Object.keys(d.components.schemas)).toEqual(expect.arrayContaining(["JobSnapshotFrame", "ProjectSnapshotFrame", "ProjectEventFrame"]));
  });
});
