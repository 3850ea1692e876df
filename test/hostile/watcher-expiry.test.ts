import { runDurableObjectAlarm, runInDurableObject, evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { IngestJob } from "../../src/jobs/ingest-job";
import { clampAlarmTime, MAX_ALARM_TIME } from "../../src/durable/alarm-time";
import { MAX_WATCHER_LIFETIME_MS, watcherExpiry } from "../../src/events/sockets";
import { call, createJob, drive, getJob, jobStub, jobsPath, step, token } from "../helpers";

const P = "proj_far_future";
/** Seconds from now to 9999-12-31T23:59:59Z. */
const TTL_TO_YEAR_9999 = 253_402_300_799 - Math.floor(Date.now() / 1000);

async function upgrade(path: string, t: string): Promise<WebSocket> {
  const res = await call(path, { token: t, headers: { Upgrade: "websocket" } });
  expect(res.status).toBe(101);
  res.webSocket!.accept();
  return res.webSocket!;
}

function scheduledWork(jobId: string): Promise<{ kind: string; due: number }[]> {
  return runInDurableObject(jobStub(jobId), (_i, state) => state.storage.sql.exec<{ kind: string; due: number }>("SELECT kind, due FROM work").toArray());
}

describe("watcher expiry", () => {
  it("clamps a token's expiry to the socket lifetime, and any time to what setAlarm accepts", () => {
    const now = Date.UTC(2026, 0, 1);
    expect(watcherExpiry(now + 60_000, now)).toBe(now + 60_000);
    expect(watcherExpiry(253_402_300_799_000, now)).toBe(now + MAX_WATCHER_LIFETIME_MS);
    expect(watcherExpiry(Number.NaN, now)).toBe(now + 3_600_000);
    expect(clampAlarmTime(253_402_300_799_000)).toBe(MAX_ALARM_TIME);
    expect(clampAlarmTime(Number.POSITIVE_INFINITY)).toBe(MAX_ALARM_TIME);
    expect(clampAlarmTime(-5)).toBe(0);
  });

  it("accepts a job watcher whose token expires in the year 9999; the job keeps working, restarts and alarms do not throw", async () => {
    const t = await token({ projects: [P], ttl: TTL_TO_YEAR_9999 });
    const job = await createJob(t, P, "Far future words. ".repeat(2000));
    const ws = await upgrade(`${jobsPath(P)}/${job.id}/events`, t);
    const expiry = (await scheduledWork(job.id)).find((w) => w.kind === "expiry")!;
    expect(expiry.due).toBeLessThanOrEqual(Date.now() + MAX_WATCHER_LIFETIME_MS);
    expect(expiry.due).toBeGreaterThan(Date.now() + MAX_WATCHER_LIFETIME_MS - 60_000);

    await evictDurableObject(jobStub(job.id));
    expect((await getJob(t, P, job.id)).status).toBe("QUEUED");
    await drive(job.id);
    expect((await getJob(t, P, job.id)).status).toBe("COMPLETED");
    await evictDurableObject(jobStub(job.id));
    // Only the expiry is left; running the alarm early must not throw and keeps it scheduled.
    await runDurableObjectAlarm(jobStub(job.id));
    expect((await scheduledWork(job.id)).map((w) => w.kind)).toEqual(["expiry"]);
    expect(await runInDurableObject(jobStub(job.id), (_i, state) => state.storage.getAlarm())).toBeLessThanOrEqual(MAX_ALARM_TIME);
    ws.close(1000, "bye");
  });

  it("accepts a project watcher whose token expires in the year 9999, and its alarm runs", async () => {
    const t = await token({ projects: [P], ttl: TTL_TO_YEAR_9999 });
    const ws = await upgrade(`/api/projects/${P}/ingest/events`, t);
    const hub = env.PROJECT_HUB.get(env.PROJECT_HUB.idFromName(P));
    const alarm = await runInDurableObject(hub, (_i, state) => state.storage.getAlarm());
    expect(alarm).toBeLessThanOrEqual(Date.now() + MAX_WATCHER_LIFETIME_MS);
    await evictDurableObject(hub);
    await runDurableObjectAlarm(hub);
    ws.close(1000, "bye");
  });
});

describe("closing watchers at the token's exp", () => {
  /** Seconds since the epoch of a token expiring `ttl` seconds from now, as `token()` signs it. */
  const expOf = (ttl: number) => Math.floor(Date.now() / 1000) + ttl;

  it("schedules a job watcher's close at its token's exp, and closes it (4001) then, while the job still runs", async () => {
    const t = await token({ projects: [P] });
    // About 5 MiB: several 1 MiB source slices, so neither the runtime's own alarm at `exp`
    // nor the step after it can finish the job.
    const job = await createJob(t, P, "Words for a job that outlives its watcher. ".repeat(120_000));
    expect(await step(job.id)).toBe(true);
    expect((await getJob(t, P, job.id)).status).toBe("RUNNING");
    const exp = expOf(2);
    const ws = await upgrade(`${jobsPath(P)}/${job.id}/events`, await token({ projects: [P], ttl: 2 }));
    const closed = new Promise<number>((resolve) => ws.addEventListener("close", (e) => resolve(e.code)));
    expect((await scheduledWork(job.id)).find((w) => w.kind === "expiry")?.due).toBe(exp * 1000);
    // Nobody steps the job: the runtime fires its alarm at `exp` (watcher expiry keeps real
    // time), and that alarm closes the socket whatever the job's own work.
    expect(await closed).toBe(4001);
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
    expect((await getJob(t, P, job.id)).status).toBe("RUNNING");
    await drive(job.id);
  });
});

describe("IngestJob alarm", () => {
  it("runs the other due work and re-arms when one work item throws", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "Resilient words. ".repeat(100));
    await runInDurableObject(jobStub(job.id), (instance: IngestJob, state) => {
      // The forwarding timer's next pass throws; the passes after it work.
      const watchers = (instance as unknown as { watchers: { forward(): Promise<boolean> } }).watchers;
      const original = watchers.forward.bind(watchers);
      watchers.forward = async () => {
        watchers.forward = original;
        throw new Error("forwarding exploded");
      };
      // Both due now; "forward" runs first.
      state.storage.sql.exec("INSERT OR REPLACE INTO work (kind, due, attempts) VALUES ('forward', 0, 0)");
      state.storage.sql.exec("UPDATE work SET due = 1 WHERE kind = 'slice'");
    });
    expect(await step(job.id)).toBe(true);
    const after = await getJob(t, P, job.id);
    expect(after.status).toBe("RUNNING");
    expect(after.counters.bytesRead).toBeGreaterThan(0);
    // The failed item went back on the schedule (the slice's own settle() then forwarded the events).
    expect((await scheduledWork(job.id)).map((w) => w.kind)).toContain("slice");
    expect(await runInDurableObject(jobStub(job.id), (_i, state) => state.storage.getAlarm())).not.toBeNull();
    await evictDurableObject(jobStub(job.id));
    await drive(job.id);
    expect((await getJob(t, P, job.id)).status).toBe("COMPLETED");
  });
});
