import { beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { d1Shards, localD1File, shardIndex } from "../../scripts/lib/shards.mjs";
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
    // On disk: each shard's D1 database (found by its binding's database id) is migrated
    // and holds exactly its project's row (other files' projects share the server).
    const perShard = d1Shards().map((shard) => {
      const file = localD1File(server.persistTo, shard.id);
      expect(existsSync(file), shard.binding).toBe(true);
      const db = new DatabaseSync(file, { readOnly: true });
      try {
        return db
          .prepare("SELECT id FROM jobs WHERE project_id IN (?, ?)")
          .all(...projects)
          .map((r) => String(r.id));
      } finally {
        db.close();
      }
    });
    expect(perShard).toEqual([[ids[0]], [ids[1]]]);
  });
});
