import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { afterEach, describe, expect, it, vi } from "vitest";
import { traceCosts, type CostLine } from "../../src/capacity/cost-trace";
import { jobs } from "../../src/db/schema";
import type { Env } from "../../src/env";
import { projectDb, sessionDatabase } from "../../src/db/shards";

/** Runs `fn` with cost tracing on and returns the cost lines it printed. */
async function costsOf(fn: (traced: Env) => Promise<unknown>): Promise<CostLine[]> {
  const lines: CostLine[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => {
    if (typeof line === "string" && line.startsWith("COST ")) lines.push(JSON.parse(line.slice(5)) as CostLine);
  });
  try {
    await fn(traceCosts({ ...env, TRACE_COSTS: "true" }));
  } finally {
    spy.mockRestore();
  }
  return lines;
}

describe("cost tracing (scripts/capacity.mjs)", () => {
  afterEach(() => vi.restoreAllMocks());

  it("wraps nothing unless TRACE_COSTS is true", () => {
    expect(traceCosts(env)).toBe(env);
  });

  it("counts each D1 statement once, as read or write, on the project's shard", async () => {
    const lines = await costsOf(async (traced) => {
      const db = projectDb(traced, "proj_b");
      await db.prepare("SELECT 1").first();
      await db.batch([db.prepare("SELECT count(*) FROM jobs"), db.prepare("DELETE FROM jobs WHERE id = ?").bind("none")]);
      const session = sessionDatabase(db.withSession("first-primary"));
      await drizzle(session).select().from(jobs).limit(1);
    });
    expect(lines).toEqual([
      { c: "d1", shard: "DB_1", kind: "read" },
      { c: "d1", shard: "DB_1", kind: "read" },
      { c: "d1", shard: "DB_1", kind: "write" },
      { c: "d1", shard: "DB_1", kind: "read" },
    ]);
  });

  it("counts R2 operations by class and queue messages", async () => {
    const lines = await costsOf(async (traced) => {
      await traced.BUCKET.put("trace/x", "x");
      await traced.BUCKET.get("trace/x");
      await traced.BUCKET.head("trace/x");
      await traced.BUCKET.delete("trace/x");
    });
    expect(lines).toEqual([
      { c: "r2", cls: "A", op: "put" },
      { c: "r2", cls: "B", op: "get" },
      { c: "r2", cls: "B", op: "head" },
      { c: "r2", cls: "A", op: "delete" },
    ]);
  });

  it("counts Durable Object RPC calls by class and method, and the calls still work", async () => {
    let reply: unknown;
    const lines = await costsOf(async (traced) => {
      const hub = traced.PROJECT_HUB.get(traced.PROJECT_HUB.idFromName("trace"));
      reply = await hub.publish([]);
    });
    expect(reply).toBeUndefined();
    expect(lines).toEqual([{ c: "do", cls: "ProjectHub", op: "publish" }]);
  });
});
