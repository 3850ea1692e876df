import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DeliveryLog, KEEP_FINISHED_MS, KEEP_PER_SUBSCRIPTION } from "../../src/webhooks/delivery-log";

const hub = (name: string) => env.PROJECT_HUB.get(env.PROJECT_HUB.idFromName(name));
const add = (log: DeliveryLog, id: string, sub: string, now: number) =>
  log.add({ id, subscriptionId: sub, eventType: "job.completed", jobId: null, seq: null, payload: "{}", eventAtMs: now }, now);

describe("DeliveryLog", () => {
  it("leases a due delivery: not due again until the lease runs out (an attempt cut short is retried)", async () => {
    await runInDurableObject(hub("dl_lease"), (_i, state) => {
      const log = new DeliveryLog(state.storage.sql);
      add(log, "msg_a", "wh_1", 1000);
      expect(log.takeDue(1000, 16_000, 10).map((d) => d.id)).toEqual(["msg_a"]);
      expect(log.takeDue(15_999, 31_000, 10)).toEqual([]);
      expect(log.nextDue()).toBe(16_000);
      expect(log.takeDue(16_000, 31_000, 10).map((d) => d.id)).toEqual(["msg_a"]);
    });
  });

  it("is bounded: finished entries beyond the newest 1,000 per subscription, or older than 7 days, go; pending ones stay", async () => {
    await runInDurableObject(hub("dl_prune"), (_i, state) => {
      const log = new DeliveryLog(state.storage.sql);
      const now = Date.now();
      const done = { status: "succeeded", nextAttemptAt: null } as const;
      for (let i = 0; i < KEEP_PER_SUBSCRIPTION + 10; i++) {
        add(log, `msg_busy_${String(i).padStart(5, "0")}`, "wh_busy", now - 1000 + i);
        if (i >= 3) log.record(`msg_busy_${String(i).padStart(5, "0")}`, done, 204, null, now); // 3 oldest stay pending
      }
      add(log, "msg_old", "wh_quiet", now - KEEP_FINISHED_MS - 1);
      log.record("msg_old", done, 204, null, now);
      add(log, "msg_old_pending", "wh_quiet", now - KEEP_FINISHED_MS - 1);
      add(log, "msg_recent", "wh_quiet", now - 1000);
      log.record("msg_recent", done, 204, null, now);
      log.prune(now);
      const busy = log.list("wh_busy", null, 100);
      expect(busy.total).toBe(KEEP_PER_SUBSCRIPTION + 3);
      expect(log.get("wh_busy", "msg_busy_00000")?.status).toBe("pending");
      expect(log.get("wh_busy", "msg_busy_00003")).toBeNull();
      expect(log.get("wh_busy", "msg_busy_00010")).not.toBeNull();
      expect(log.get("wh_quiet", "msg_old")).toBeNull();
      expect(log.get("wh_quiet", "msg_old_pending")?.status).toBe("pending");
      expect(log.get("wh_quiet", "msg_recent")).not.toBeNull();
    });
  });
});
