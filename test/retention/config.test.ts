import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config";
import { allShards } from "../../src/db/shards";
import worker from "../../src/index";

describe("RETENTION_DAYS and DELETED_GRACE_DAYS", () => {
  it("default to 30 and 1 days", () => {
    expect(loadConfig({ ...env, RETENTION_DAYS: undefined as never, DELETED_GRACE_DAYS: undefined as never }).retention).toEqual({
      days: 30,
      deletedGraceDays: 1,
    });
  });

  it("accept fractions of a day and refuse zero, negatives and words", () => {
    expect(loadConfig({ ...env, RETENTION_DAYS: "0.5" }).retention.days).toBe(0.5);
    for (const bad of ["0", "-1", "month"]) {
      expect(() => loadConfig({ ...env, RETENTION_DAYS: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ ...env, DELETED_GRACE_DAYS: bad })).toThrow(ConfigError);
    }
  });
});

describe("the cron trigger", () => {
  it("wakes every shard's purger: a purge and a sweep on its schedule and its alarm set", async () => {
    await worker.scheduled({ cron: "*/15 * * * *", scheduledTime: Date.now(), noRetry: () => {} } as ScheduledController, env);
    for (const shard of allShards(env)) {
      const stub = env.RETENTION_PURGER.get(env.RETENTION_PURGER.idFromName(shard.name));
      const state = await runInDurableObject(stub, async (_p, s) => ({
        kinds: s.storage.sql
          .exec<{ kind: string }>("SELECT kind FROM work ORDER BY kind")
          .toArray()
          .map((r) => r.kind),
        alarm: await s.storage.getAlarm(),
      }));
      expect(state.kinds).toEqual(["purge", "sweep"]);
      expect(state.alarm).not.toBeNull();
    }
  });
});
