import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config";
import { call, createJob, drive, getJob, hubStub, jobStub, jobsPath, step, stepHub, token } from "../helpers";

const STALL_AFTER_MS = loadConfig(env).stallAfterMs;
const MAX_ATTEMPTS = loadConfig(env).stageMaxAttempts;
const BODY = "A sentence the pipeline reads. ".repeat(4000);

/** The jobs the project's hub lists as active. */
function activeJobs(projectId: string): Promise<string[]> {
  return runInDurableObject(hubStub(projectId), (_hub, state) =>
    state.storage.sql
      .exec<{ job_id: string }>("SELECT job_id FROM active_jobs ORDER BY job_id")
      .toArray()
      .map((r) => r.job_id),
  );
}

/** The nudges the hub has given a job with no event from it since (0 when none). */
function nudges(projectId: string, jobId: string): Promise<number> {
  return runInDurableObject(
    hubStub(projectId),
    (_hub, state) => state.storage.sql.exec<{ nudges: number }>("SELECT nudges FROM stall_checks WHERE job_id = ?", jobId).toArray()[0]?.nudges ?? 0,
  );
}

function jobAlarm(jobId: string): Promise<number | null> {
  return runInDurableObject(jobStub(jobId), (_job, state) => state.storage.getAlarm());
}

function deleteJobAlarm(jobId: string): Promise<void> {
  return runInDurableObject(jobStub(jobId), (_job, state) => state.storage.deleteAlarm());
}

/** Creates a job and steps it until it runs and its hub lists it as active. */
async function runningJob(t: string, projectId: string) {
  const job = await createJob(t, projectId, BODY);
  await vi.waitFor(async () => {
    if ((await getJob(t, projectId, job.id)).status !== "RUNNING") await step(job.id);
    expect(await activeJobs(projectId)).toContain(job.id);
    expect((await getJob(t, projectId, job.id)).status).toBe("RUNNING");
  });
  return job;
}

describe("project hub: jobs that stop moving", () => {
  it("re-arms a running job whose alarm was deleted behind its back, and the job finishes", async () => {
    const P = "proj_stall_rearm";
    const t = await token({ projects: [P] });
    const job = await runningJob(t, P);
    await deleteJobAlarm(job.id);
    expect(await step(job.id)).toBe(false);

    expect(await stepHub(P, STALL_AFTER_MS + 1_000)).toBe(true);

    expect(await jobAlarm(job.id)).not.toBeNull();
    expect(await nudges(P, job.id)).toBe(1);
    await drive(job.id);
    const done = await getJob(t, P, job.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.canonicalDocumentId).not.toBeNull();
    await vi.waitFor(async () => expect(await activeJobs(P)).not.toContain(job.id));
  });

  it("leaves a job alone that logged something within STALL_AFTER_MS", async () => {
    const P = "proj_stall_quiet";
    const t = await token({ projects: [P] });
    const job = await runningJob(t, P);
    await deleteJobAlarm(job.id);

    expect(await stepHub(P, STALL_AFTER_MS - 60_000)).toBe(true);

    expect(await jobAlarm(job.id)).toBeNull();
    expect(await nudges(P, job.id)).toBe(0);
  });

  it("fails a job STALLED once STAGE_MAX_ATTEMPTS nudges did not make it move, and the hub hears of it", async () => {
    const P = "proj_stall_fail";
    const t = await token({ projects: [P] });
    const job = await runningJob(t, P);

    // The job never runs: its alarm is lost again before every check.
    for (let n = 1; n <= MAX_ATTEMPTS; n++) {
      await deleteJobAlarm(job.id);
      await stepHub(P, n * (STALL_AFTER_MS + 1_000));
      expect(await nudges(P, job.id)).toBe(n);
      expect((await getJob(t, P, job.id)).status).toBe("RUNNING");
    }
    await stepHub(P, (MAX_ATTEMPTS + 1) * (STALL_AFTER_MS + 1_000));

    const failed = await getJob(t, P, job.id);
    expect(failed.status).toBe("FAILED");
    expect(failed.errors.at(-1)?.code).toBe("STALLED");
    expect(failed.errorMessage).toMatch(/stopped moving.*Retry it/);
    await vi.waitFor(async () => expect(await activeJobs(P)).not.toContain(job.id));
    const listed = await call(`${jobsPath(P)}?status=FAILED`, { token: t });
    expect((await listed.json<{ items: { id: string }[] }>()).items.map((j) => j.id)).toContain(job.id);

    // What its message promises: a retry resumes it, and it finishes.
    const retried = await call(`${jobsPath(P)}/${job.id}/retry`, { method: "POST", token: t });
    expect(retried.status).toBe(200);
    await drive(job.id);
    expect((await getJob(t, P, job.id)).status).toBe("COMPLETED");
  });

  it("nudges at most a page of jobs per alarm and comes back at once for the rest", async () => {
    const P = "proj_stall_page";
    const t = await token({ projects: [P] });
    const { CHECK_PAGE } = await import("../../src/events/stall-watch");
    const jobs = [];
    for (let i = 0; i < CHECK_PAGE + 2; i++) jobs.push(await runningJob(t, P));

    await stepHub(P, STALL_AFTER_MS + 1_000);
    const first = await Promise.all(jobs.map((j) => nudges(P, j.id)));
    expect(first.filter((n) => n === 1)).toHaveLength(CHECK_PAGE);

    await stepHub(P, STALL_AFTER_MS + 1_000);
    const second = await Promise.all(jobs.map((j) => nudges(P, j.id)));
    expect(second.every((n) => n === 1)).toBe(true);
  });
});
