import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Timers } from "../../src/durable/timers";

/** A fresh object's storage (no job is ever created in it), for a registry of its own. */
function withStorage<T>(fn: (storage: DurableObjectStorage) => Promise<T>): Promise<T> {
  const stub = env.INGEST_JOB.get(env.INGEST_JOB.newUniqueId());
  return runInDurableObject(stub, (_instance, state) => fn(state.storage));
}

describe("Timers", () => {
  it("runs a due handler, stores the time it returns, and drops an entry whose handler returns nothing", async () => {
    await withStorage(async (storage) => {
      const timers = new Timers<"a" | "b">({ storage });
      const runs: string[] = [];
      timers.register("a", () => {
        runs.push("a");
        return Date.now() + 60_000;
      });
      timers.register("b", () => {
        runs.push("b");
      });
      timers.schedule("a", 0);
      timers.schedule("b", 1);
      await timers.run();
      expect(runs).toEqual(["a", "b"]);
      expect(timers.scheduled("a")!.due).toBeGreaterThan(Date.now());
      expect(timers.scheduled("b")).toBeNull();
      expect(await storage.getAlarm()).toBe(timers.scheduled("a")!.due);
    });
  });

  it("keeps the earlier time when a kind is scheduled twice", async () => {
    await withStorage(async (storage) => {
      const timers = new Timers<"a">({ storage });
      timers.register("a", () => undefined);
      timers.schedule("a", 5_000);
      timers.schedule("a", 9_000);
      expect(timers.scheduled("a")!.due).toBe(5_000);
      timers.schedule("a", 1_000);
      expect(timers.scheduled("a")!.due).toBe(1_000);
    });
  });

  it("backs off a handler that throws, counting attempts, and resets them once it succeeds", async () => {
    await withStorage(async (storage) => {
      const timers = new Timers<"flaky" | "steady">({ storage, backoff: { initialMs: 1_000, maxMs: 4_000 } });
      let fail = 3;
      const seen: number[] = [];
      timers.register("flaky", ({ attempts }) => {
        seen.push(attempts);
        if (fail-- > 0) throw new Error("not yet");
      });
      let steady = 0;
      timers.register("steady", () => {
        steady++;
      });
      timers.schedule("flaky", 0);
      timers.schedule("steady", 1);
      const delays: number[] = [];
      for (let i = 0; i < 3; i++) {
        const before = Date.now();
        await timers.run(Number.MAX_SAFE_INTEGER);
        const entry = timers.scheduled("flaky")!;
        expect(entry.attempts).toBe(i + 1);
        delays.push(entry.due - before);
      }
      // The other kind ran despite the failure beside it.
      expect(steady).toBe(1);
      expect(delays[0]).toBeGreaterThanOrEqual(1_000);
      expect(delays[1]).toBeGreaterThanOrEqual(2_000);
      expect(delays[2]).toBeGreaterThanOrEqual(4_000);
      expect(delays[2]).toBeLessThan(5_000);
      await timers.run(Number.MAX_SAFE_INTEGER);
      expect(seen).toEqual([0, 1, 2, 3]);
      expect(timers.scheduled("flaky")).toBeNull();
      expect(await storage.getAlarm()).toBeNull();
    });
  });

  it("keeps a schedule made by other code while the handler ran, and drops the result after an unschedule", async () => {
    await withStorage(async (storage) => {
      const timers = new Timers<"a" | "b">({ storage });
      timers.register("a", () => {
        timers.schedule("a", 42);
      });
      timers.register("b", () => {
        timers.unschedule("b");
        return 7;
      });
      timers.schedule("a", 0);
      timers.schedule("b", 0);
      await timers.run();
      expect(timers.scheduled("a")).toEqual({ due: 42, attempts: 0 });
      expect(timers.scheduled("b")).toBeNull();
    });
  });

  it("drops an entry no handler is registered for", async () => {
    await withStorage(async (storage) => {
      const timers = new Timers<string>({ storage });
      timers.schedule("gone", 0);
      await timers.run();
      expect(timers.scheduled("gone")).toBeNull();
    });
  });
});
