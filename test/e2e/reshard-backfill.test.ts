/**
 * The reshard's data steps (scripts/lib/reshard.mjs) on local D1 files: four shards made
 * from the migrations, rows written straight into them as the service would have.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { backfill, dropMoved, misplacedRows, verify } from "../../scripts/lib/reshard.mjs";
import { d1Databases, localD1File, shardIndex } from "../../scripts/lib/shards.mjs";

const TWO = "DB_0,DB_1";
const FOUR = "DB_0,DB_1,DB_2,DB_3";
const MIGRATIONS = new URL("../../migrations/", import.meta.url).pathname;

let persistTo: string;
let dbs: DatabaseSync[];

beforeEach(() => {
  persistTo = mkdtempSync(join(tmpdir(), "reshard-backfill-"));
  const sql = readdirSync(MIGRATIONS)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((f) => readFileSync(join(MIGRATIONS, f), "utf8").split("--> statement-breakpoint").join("\n"));
  dbs = d1Databases()
    .slice(0, 4)
    .map((shard) => {
      const file = localD1File(persistTo, shard.id);
      mkdirSync(dirname(file), { recursive: true });
      const db = new DatabaseSync(file);
      db.exec("PRAGMA journal_mode = WAL");
      for (const migration of sql) db.exec(migration);
      return db;
    });
});

afterEach(() => {
  for (const db of dbs) db.close();
  rmSync(persistTo, { recursive: true, force: true });
});

/** The first `${prefix}-<n>` on shard `from` of 2 and `to` of 4. */
function projectMoving(from: number, to: number, prefix: string): string {
  for (let n = 0; ; n++) {
    const id = `${prefix}-${n}`;
    if (shardIndex(id, 2) === from && shardIndex(id, 4) === to) return id;
  }
}

function putJob(db: DatabaseSync, projectId: string, id: string, version: number, createdAt = 1000) {
  db.prepare(
    `INSERT INTO jobs (id, project_id, source_path, original_filename, mime_type, byte_size, status, stage, progress, created_by, created_at, updated_at, version, data)
     VALUES (?, ?, 'a.md', 'a.md', 'text/markdown', 1, 'COMPLETED', 'DONE', 1, 't', ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data, updated_at = excluded.updated_at`,
  ).run(id, projectId, createdAt, createdAt + version, version, JSON.stringify({ id, version }));
}

/** Many rows in one commit (one fsync, not one per row). */
function inOneCommit(db: DatabaseSync, write: () => void) {
  db.exec("BEGIN");
  write();
  db.exec("COMMIT");
}

const versions = (db: DatabaseSync, projectId: string) =>
  db
    .prepare("SELECT id, version FROM jobs WHERE project_id = ? ORDER BY id")
    .all(projectId)
    .map((r) => `${r.id}@${r.version}`);

describe("reshard backfill, verify and drop (local D1 files)", () => {
  it("copies every row of moving projects in pages, and nothing of the projects that stay", async () => {
    const moves = projectMoving(0, 2, "move");
    const stays = projectMoving(0, 0, "stay");
    inOneCommit(dbs[0]!, () => {
      for (let i = 0; i < 1203; i++) putJob(dbs[0]!, moves, `j${String(i).padStart(5, "0")}`, 1, 1000 + (i % 7));
    });
    putJob(dbs[0]!, stays, "s1", 1);
    dbs[0]!.prepare("INSERT INTO idempotency_keys VALUES (?, 'k', 'j00001', 'h', 99)").run(moves);

    const stats = await backfill({ persistTo, from: TWO, to: FOUR });
    expect(stats.projects).toBe(1);
    expect(stats.copied).toEqual({ jobs: 1203, idempotency_keys: 1 });
    expect(stats.pages).toBe(4); // 500 + 500 + 203 jobs, 1 key
    expect(versions(dbs[2]!, moves)).toEqual(versions(dbs[0]!, moves));
    expect(versions(dbs[2]!, stays)).toEqual([]);
    expect((await verify({ persistTo, from: TWO, to: FOUR, retries: 0 })).mismatches).toEqual([]);
  });

  it("never overwrites a newer row a mirror write put there first, and deletes rows gone from the old shard", async () => {
    const p = projectMoving(1, 3, "guard");
    putJob(dbs[1]!, p, "a", 3);
    putJob(dbs[3]!, p, "a", 5); // mirrored after the copy's read
    putJob(dbs[3]!, p, "gone", 2); // deleted on the old shard after it was copied
    await backfill({ persistTo, from: TWO, to: FOUR });
    expect(versions(dbs[3]!, p)).toEqual(["a@5"]);
  });

  it("resumes from its cursor, and is safe to run again", async () => {
    const p = projectMoving(0, 2, "resume");
    inOneCommit(dbs[0]!, () => {
      for (let i = 0; i < 1100; i++) putJob(dbs[0]!, p, `r${String(i).padStart(5, "0")}`, 1);
    });
    const cursorPath = join(persistTo, "cursor.json");
    // Stop after the first page, as a killed run would.
    await expect(
      backfill({
        persistTo,
        from: TWO,
        to: FOUR,
        cursorPath,
        onProgress: () => {
          throw new Error("killed");
        },
      }),
    ).rejects.toThrow("killed");
    expect(dbs[2]!.prepare("SELECT count(*) AS n FROM jobs").get()!.n).toBe(500);
    const resumed = await backfill({ persistTo, from: TWO, to: FOUR, cursorPath });
    expect(resumed.resumed).toBe(true);
    expect(resumed.copied).toEqual({ jobs: 600 });
    const again = await backfill({ persistTo, from: TWO, to: FOUR, cursorPath });
    expect(again.resumed).toBe(false);
    expect(versions(dbs[2]!, p)).toEqual(versions(dbs[0]!, p));
  });

  it("reports a project whose rows differ, by table", async () => {
    const p = projectMoving(1, 3, "differs");
    putJob(dbs[1]!, p, "a", 2);
    putJob(dbs[3]!, p, "a", 1);
    const report = await verify({ persistTo, from: TWO, to: FOUR, retries: 0 });
    expect(report.mismatches).toEqual([expect.objectContaining({ project: p, table: "jobs", DB_1: expect.objectContaining({ count: 1, maxVersion: 2 }) })]);
  });

  it("drops moved projects' rows from the old shards, and leaves every row on its own shard", async () => {
    const moves = projectMoving(0, 2, "drop");
    const stays = projectMoving(1, 1, "keep");
    putJob(dbs[0]!, moves, "m", 1);
    putJob(dbs[1]!, stays, "k", 1);
    await backfill({ persistTo, from: TWO, to: FOUR });
    expect(misplacedRows({ persistTo, list: FOUR, projects: [moves, stays] })).toBe(1);
    expect(await dropMoved({ persistTo, from: TWO, to: FOUR })).toMatchObject({ jobs: 1 });
    expect(misplacedRows({ persistTo, list: FOUR, projects: [moves, stays] })).toBe(0);
    expect(versions(dbs[2]!, moves)).toEqual(["m@1"]);
    expect(versions(dbs[1]!, stays)).toEqual(["k@1"]);
  });
});
