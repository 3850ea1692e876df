import { describe, expect, it } from "vitest";
import { call } from "../helpers";

type Operation = { requestBody?: { content: Record<string, unknown> }; responses: Record<string, unknown> };

describe("GET /openapi.json", () => {
  it("declares a 415 problem on every operation whose body must be JSON (the validator refuses other types)", async () => {
    const doc = await (await call("/openapi.json")).json<{ paths: Record<string, Record<string, Operation>> }>();
    const jsonBodies = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.requestBody && Object.keys(op.requestBody.content).includes("application/json"))
        .map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );
    const routes = jsonBodies.map((b) => b.route);
    expect(routes).toEqual(expect.arrayContaining(["POST /api/projects/{projectId}/webhooks", "PATCH /api/projects/{projectId}/webhooks/{webhookId}"]));
    const missing = jsonBodies.filter(
      ({ op }) => !(op.responses["415"] as { content?: Record<string, unknown> } | undefined)?.content?.["application/problem+json"],
    );
    expect(missing.map((m) => m.route)).toEqual([]);
  });
});
