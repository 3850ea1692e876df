import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eachD1 } from "../../scripts/lib/local-state.mjs";
import { shardIndex } from "../../scripts/lib/shards.mjs";
import { startTestServer, token, type TestServer } from "./dev-server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

/** The first `${prefix}-<n>` on shard `shard` of 2. */
function projectOn(shard: number, prefix: string): string {
  for (let n = 0; ; n++) if (shardIndex(`${prefix}-${n}`, 2) === shard) return `${prefix}-${n}`;
}

describe("wrangler dev with two D1 shards (e2e)", () => {
  it("migrates both shards, keeps each project on its own, and answers with its bookmark", async () => {
    const projects = [projectOn(0, "e2e"), projectOn(1, "e2e")];
    const t = await token({ roles: ["editor"], projects });
    const auth = { Authorization: `Bearer ${t}` };
    const ids: string[] = [];
    for (const [i, project] of projects.entries()) {
      const res = await fetch(`${server.url}/api/projects/${project}/ingest/jobs?filename=a.txt`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "text/plain" },
        body: `a document of project ${project}`,
      });
      expect(res.status).toBe(201);
      expect(res.headers.get("x-d1-bookmark")).toMatch(new RegExp(`^DB_${i}:[0-9a-f-]+$`));
      const bookmark = res.headers.get("x-d1-bookmark")!;
      const { id } = (await res.json()) as { id: string };
      ids.push(id);
      const list = await fetch(`${server.url}/api/projects/${project}/ingest/jobs`, { headers: { ...auth, "x-d1-bookmark": bookmark } });
      expect(list.status).toBe(200);
      expect(((await list.json()) as { items: { id: string }[] }).items.map((j) => j.id)).toEqual([id]);
      expect(list.headers.get("x-d1-bookmark")! >= bookmark).toBe(true);
    }
    // On disk: two D1 databases, both migrated, each holding exactly one project's row.
    const perFile = eachD1(server.persistTo, (db) => db.prepare("SELECT id FROM jobs").all().map((r) => String(r.id)));
    expect(perFile).toHaveLength(2);
    expect(perFile.map((f) => f.length)).toEqual([1, 1]);
    expect(perFile.flat().sort()).toEqual([...ids].sort());
  });
});
