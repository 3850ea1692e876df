import { describe, expect, it } from "vitest";
import { call, problem, token } from "../helpers";

const admin = (projectId: string) => token({ sub: "root", roles: ["admin"], projects: [projectId] });

describe("errors raised by the framework", () => {
  for (const method of ["POST", "PATCH"]) {
    it(`returns 415 with a problem body for a ${method} /webhooks with a Content-Type that is not JSON`, async () => {
      const P = "err_ct";
      const t = await admin(P);
      const path = method === "POST" ? `/api/projects/${P}/webhooks` : `/api/projects/${P}/webhooks/wh_${"0".repeat(32)}`;
      const res = await call(path, {
        method,
        token: t,
        headers: { "Content-Type": "text/plain" },
        body: JSON.stringify({ url: "https://receiver.test/x", events: ["*"] }),
      });
      expect(res.status).toBe(415);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const p = await problem(res);
      expect(p).toMatchObject({ status: 415, title: "Unsupported Media Type" });
      expect(p.detail).toMatch(/application\/json/);
    });
  }
});
