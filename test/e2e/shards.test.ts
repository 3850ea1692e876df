import { beforeAll, describe, expect, it } from "vitest";
import { eachD1 } from "../../scripts/lib/local-state.mjs";
import { shardIndex } from "../../scripts/lib/shards.mjs";
import { sharedServer, token, type E2eServer } from "./dev-server";

let server: E2eServer;
beforeAll(async () => {
  server = await sharedServer();
});

/** The first `${prefix}-<n>` on shard `shard` of 2. */
function projectOn(shard: number, prefix: string): string {
  for (let n = 0; ; n++) if (shardIndex(`${prefix}-${n}`, 2) === shard) return `${prefix}-${n}`;
}

describe("wrangler dev with two D1 shards (e2e)", () => {
  it("migrates both shards, keeps each project on its own, and answers with its bookmark", async () => {
    const projects = [projectOn(0, "e2e-shards"), projectOn(1, "e2e-shards")];
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
      const { id } = (await res.json()) as { id: string };
      ids.push(id);
      // The object writes the index row just after it replies: poll the list.
      let list: Response;
      let items: { id: string }[] = [];
      for (let tries = 0; tries < 50 && items.length === 0; tries++) {
        list = await fetch(`${server.url}/api/projects/${project}/ingest/jobs`, { headers: auth });
        expect(list.status).toBe(200);
        expect(list.headers.get("x-d1-bookmark")).toMatch(new RegExp(`^DB_${i}:[0-9a-f-]+$`));
        items = ((await list.json()) as { items: { id: string }[] }).items;
        if (items.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(items.map((j) => j.id)).toEqual([id]);
      // A bookmark sent back is accepted, and the answer is at least as fresh.
      const bookmark = list!.headers.get("x-d1-bookmark")!;
      const again = await fetch(`${server.url}/api/projects/${project}/ingest/jobs`, { headers: { ...auth, "x-d1-bookmark": bookmark } });
      expect(again.status).toBe(200);
      expect(again.headers.get("x-d1-bookmark")! >= bookmark).toBe(true);
    }
    // On disk: two D1 databases, both migrated, each holding exactly one of the two
    // projects' rows (other files' projects share the server).
    const perFile = eachD1(server.persistTo, (db) =>
      db
        .prepare("SELECT id FROM jobs WHERE project_id IN (?, ?)")
        .all(...projects)
        .map((r) => String(r.id)),
    );
    expect(perFile).toHaveLength(2);
    expect(perFile.map((f) => f.length)).toEqual([1, 1]);
    expect(perFile.flat().sort()).toEqual([...ids].sort());
  });
});
