import { describe, expect, it } from "vitest";
import { call } from "../helpers";

describe("GET /docs", () => {
  it("loads Swagger UI from this Worker's own static files, never from another host", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources).toEqual(["/vendor/swagger-ui/swagger-ui.css", "/vendor/swagger-ui/swagger-ui-bundle.js", "/vendor/swagger-ui/docs-init.js"]);
    expect(html).not.toMatch(/https?:\/\//);
  });
});
