/** Retention test helpers: the shard purger of a project, stepped with its clock moved ahead. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { projectDb, projectShard } from "../../src/db/shards";
import { DAY_MS } from "../../src/retention/policy";
import type { PurgerStats } from "../../src/retention/purger";
import { jobStub } from "../helpers";

export { DAY_MS };

/** The retention purger of the shard that holds `projectId`. */
export function purgerStub(projectId: string) {
  return env.RETENTION_PURGER.get(env.RETENTION_PURGER.idFromName(projectShard(env, projectId).name));
}

/**
 * Wakes the purger of `projectId`'s shard (as the cron does) and runs one alarm with its
 * clock `aheadMs` ahead of real time; returns its stats after the alarm.
 */
export async function stepPurger(projectId: string, aheadMs: number): Promise<PurgerStats> {
  const stub = purgerStub(projectId);
  await runInDurableObject(stub, (purger) => {
    (purger as unknown as { clockAheadMs: number }).clockAheadMs = aheadMs;
  });
  await stub.wake();
  await runDurableObjectAlarm(stub);
  return stub.stats();
}

/** The purger's timers and when each is due (epoch ms, real clock plus its offset). */
export function purgerWork(projectId: string): Promise<Record<string, number>> {
  return runInDurableObject(purgerStub(projectId), (_p, state) =>
    Object.fromEntries(
      state.storage.sql
        .exec<{ kind: string; due: number }>("SELECT kind, due FROM work")
        .toArray()
        .map((r) => [r.kind, r.due]),
    ),
  );
}

/** Tables in the job object's SQLite (empty once it is purged). */
export function jobTables(jobId: string): Promise<string[]> {
  return runInDurableObject(jobStub(jobId), (_j, state) =>
    state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%'")
      .toArray()
      .map((r) => r.name),
  );
}

/** The job's index row in D1 (null once purged). */
export async function jobRow(projectId: string, jobId: string): Promise<{ status: string; deleted_at: number | null } | null> {
  return projectDb(env, projectId).prepare("SELECT status, deleted_at FROM jobs WHERE project_id = ? AND id = ?").bind(projectId, jobId).first();
}
