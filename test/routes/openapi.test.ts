import { describe, expect, it } from "vitest";
import { call } from "../helpers";

describe("GET /openapi.json", () => {
  it("documents every route of DESIGN §4 as OpenAPI 3.1, generated from the zod schemas", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = await res.json<{ openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } }>();
    expect(doc.openapi).toBe("3.1.0");
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes).toEqual(
      expect.arrayContaining([
        "POST /api/projects/{projectId}/ingest/jobs",
        "GET /api/projects/{projectId}/ingest/jobs",
        "GET /api/projects/{projectId}/ingest/jobs/{jobId}",
        "POST /api/projects/{projectId}/ingest/jobs/{jobId}/cancel",
        "DELETE /api/projects/{projectId}/ingest/jobs/{jobId}",
        "GET /api/projects/{projectId}/ingest/jobs/{jobId}/events",
        "GET /api/projects/{projectId}/ingest/events",
        "GET /api/projects/{projectId}/documents/{documentId}",
        "GET /api/projects/{projectId}/documents/{documentId}/text",
        "GET /api/projects/{projectId}/documents/{documentId}/chunks",
        "DELETE /api/projects/{projectId}/documents/{documentId}",
        "GET /api/v1/ingestion/job/{job_id}",
        "DELETE /api/v1/ingestion/job/{job_id}",
        "POST /api/jobs/{jobId}/cancel",
      ]),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(["Job", "JobList", "Problem", "Document", "CreateJobFields"]));
    const list = doc.paths["/api/projects/{projectId}/ingest/jobs"]!.get as { parameters: { name: string }[] };
    expect(list.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(["projectId", "cursor", "limit", "status", "stage", "sourceId"]));
  });
});

describe("GET /docs", () => {
  it("serves an interactive reference page pointing at /openapi.json", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/text\/html/);
    expect(await res.text()).toContain("/openapi.json");
  });
});
