import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config";
import { createJob, drive, getJob, hubStub, jobStub, step, token } from "../helpers";
import { projectDb } from "../../src/db/shards";
import { SWEEP_PAGE } from "../../src/retention/purger";
import { purgerStub, purgerWork } from "./helpers";

const STALL_AFTER_MS = loadConfig(env).stallAfterMs;
const BODY = "A sentence the pipeline reads. ".repeat(4000);

const alarmOf = (stub: DurableObjectStub) => runInDurableObject(stub, (_o, state: DurableObjectState) => state.storage.getAlarm());
const deleteAlarmOf = (stub: DurableObjectStub) => runInDurableObject(stub, (_o, state: DurableObjectState) => state.storage.deleteAlarm());

/** Wakes the project's shard purger and runs the alarm at which its sweep is due (at least `STALL_AFTER_MS` on). */
async function runSweep(projectId: string) {
  const stub = purgerStub(projectId);
  await stub.wake();
  const due = (await purgerWork(projectId)).sweep!;
  await runInDurableObject(stub, (purger) => {
    (purger as unknown as { clockAheadMs: number }).clockAheadMs = Math.max(due - Date.now(), STALL_AFTER_MS + 1_000);
  });
  await runDurableObjectAlarm(stub);
  return stub.stats();
}

describe("retention purger: the sweep over silent jobs", () => {
  it("gets a running job to finish when both its own alarm and its project hub's alarm are lost", async () => {
    const P = "proj_sweep_lost";
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, BODY);
    await vi.waitFor(async () => {
      if ((await getJob(t, P, job.id)).status !== "RUNNING") await step(job.id);
      expect((await getJob(t, P, job.id)).status).toBe("RUNNING");
    });
    await deleteAlarmOf(jobStub(job.id));
    await deleteAlarmOf(hubStub(P));
    expect(await step(job.id)).toBe(false);
    expect(await alarmOf(hubStub(P))).toBeNull();
    const before = await purgerStub(P).stats();

    const after = await runSweep(P);

    expect(after.nudgedJobs).toBeGreaterThan(before.nudgedJobs);
    expect(await alarmOf(jobStub(job.id))).not.toBeNull();
    expect(await alarmOf(hubStub(P))).not.toBeNull();
    await drive(job.id);
    const done = await getJob(t, P, job.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.canonicalDocumentId).not.toBeNull();
  });

  it("nudges at most a page of jobs per alarm and comes back at once for the rest", async () => {
    const P = "proj_sweep_page";
    const db = projectDb(env, P);
    // Rows of RUNNING jobs last written in 1970, whose objects hold nothing.
    await db.batch(
      Array.from({ length: SWEEP_PAGE + 5 }, () =>
        db
          .prepare(
            `INSERT INTO jobs (id, project_id, source_path, original_filename, mime_type, byte_size, status, stage, progress, created_by, created_at, updated_at, version, data)
             VALUES (?, ?, 'x.txt', 'x.txt', 'text/plain', 1, 'RUNNING', 'EXTRACTING', 0, 'alice', 1000, 1000, 1, '{}')`,
          )
          .bind(crypto.randomUUID(), P),
      ),
    );
    const before = await purgerStub(P).stats();

    const after = await runSweep(P);

    expect(after.nudgedJobs - before.nudgedJobs).toBe(SWEEP_PAGE);
    const stub = purgerStub(P);
    const ahead = await runInDurableObject(stub, (purger) => (purger as unknown as { clockAheadMs: number }).clockAheadMs);
    expect((await purgerWork(P)).sweep).toBeLessThanOrEqual(Date.now() + ahead);
  });
});
