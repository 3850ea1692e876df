import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DeliveryLog, KEEP_FINISHED_MS, KEEP_PER_SUBSCRIPTION } from "../../src/webhooks/delivery-log";

const hub = (name: string) => env.PROJECT_HUB.get(env.PROJECT_HUB.idFromName(name));
const add = (log: DeliveryLog, id: string, sub: string, now: number) =>
  log.add({ id, subscriptionId: sub, eventType: "job.completed", jobId: null, seq: null, payload: "{}", eventAtMs: now }, now);

describe("DeliveryLog", () => {
  it("takes the oldest due delivery that is not in flight; an interrupted one stays due", async () => {
    await runInDurableObject(hub("dl_due"), (_i, state) => {
      const log = new DeliveryLog(state.storage.sql);
      add(log, "msg_a", "wh_1", 1000);
      add(log, "msg_b", "wh_1", 1001);
      add(log, "msg_c", "wh_2", 500);
      expect(log.takeDue("wh_1", 999, new Set())).toBeNull();
      expect(log.takeDue("wh_1", 2000, new Set())?.id).toBe("msg_a");
      expect(log.takeDue("wh_1", 2000, new Set(["msg_a"]))?.id).toBe("msg_b");
      expect(log.takeDue("wh_1", 2000, new Set(["msg_a", "msg_b"]))).toBeNull();
      // Each subscription's deliveries are its own: an older one of another never comes first.
      expect(log.takeDue("wh_2", 2000, new Set())?.id).toBe("msg_c");
      expect(log.dueBySubscription(2000, new Set(["msg_a"]))).toEqual(
        expect.arrayContaining([
          { subscriptionId: "wh_1", due: 1 },
          { subscriptionId: "wh_2", due: 1 },
        ]),
      );
      expect(log.nextDue(new Set(["msg_a", "msg_c"]))).toBe(1001);
      // A subscription whose lanes are all taken does not set the wake-up: its lane takes the next one itself.
      expect(log.nextDue(new Set(["msg_a"]), new Set(["wh_2"]))).toBe(1001);
      expect(log.nextDue(new Set(), new Set(["wh_1", "wh_2"]))).toBeNull();
      // Nothing was written by taking it: after a restart (no attempt in flight) it is due again.
      expect(log.takeDue("wh_1", 2000, new Set())?.id).toBe("msg_a");
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
