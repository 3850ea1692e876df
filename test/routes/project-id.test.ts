import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { projectDb } from "../../src/db/shards";
import { PROJECT_ID_RULE } from "../../src/http/project-id";
import { call, problem, token } from "../helpers";

const admin = () => token({ sub: "root", roles: ["admin"], projects: [] });

/** Jobs in a project, straight from the D1 index the list route reads. */
async function jobCount(projectId: string): Promise<number> {
  const row = await projectDb(env, projectId).prepare("SELECT count(*) AS n FROM jobs WHERE project_id = ?").bind(projectId).first<{ n: number }>();
  return row?.n ?? 0;
}

describe("project ids in paths", () => {
  it("returns 400 for an id with a stray %, on every project route", async () => {
    const t = await admin();
    for (const path of ["/api/projects/x%zz/ingest/jobs", "/api/projects/x%zz/webhooks", "/api/projects/x%zz/documents", "/api/projects/%/ingest/jobs"]) {
      const res = await call(path, { token: t });
      expect(res.status, path).toBe(400);
      expect((await problem(res)).detail).toBe(PROJECT_ID_RULE);
    }
  });

  it("returns 400 for ids with NUL, CR, LF, ?, #, spaces or slashes, and creates no job even when retried with an Idempotency-Key", async () => {
    const t = await admin();
    for (const encoded of ["a%00b", "a%0D%0ALocation:%20x", "a%0Ab", "a%3Fb", "a%23b", "a%20b", "a%2Fb", ".hidden", "-x", "x".repeat(129)]) {
      for (let i = 0; i < 3; i++) {
        const res = await call(`/api/projects/${encoded}/ingest/jobs?filename=a.txt`, {
          method: "POST",
          token: t,
          body: "hello",
          headers: { "Content-Type": "text/plain", "Content-Length": "5", "Idempotency-Key": `k-${encoded.length}` },
        });
        expect(res.status, encoded).toBe(400);
        expect((await problem(res)).detail).toBe(PROJECT_ID_RULE);
      }
      expect(await jobCount(decodeURIComponent(encoded))).toBe(0);
    }
  });

  it("accepts ids of the documented set and answers Location with the same id", async () => {
    const t = await admin();
    for (const id of ["proj_1", "Team.A-2", "_x", "x".repeat(128)]) {
      const res = await call(`/api/projects/${id}/ingest/jobs?filename=a.txt`, {
        method: "POST",
        token: t,
        body: "hello",
        headers: { "Content-Type": "text/plain", "Content-Length": "5" },
      });
      expect(res.status, id).toBe(201);
      const job = await res.json<{ id: string }>();
      expect(res.headers.get("Location")).toBe(`/api/projects/${id}/ingest/jobs/${job.id}`);
    }
  });
});
