/**
 * An upload's job object is reserved before the upload reaches R2, so a create that dies
 * between its upload and its job leaves no orphan:
 * the object's alarm deletes the source unless the job was created.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { projectDb } from "../../src/db/shards";
import { ABANDONED_CLAIM_MS, claimIdempotencyKey } from "../../src/jobs/idempotency";
import { uuidv7 } from "../../src/jobs/ids";
import type { IngestJob } from "../../src/jobs/ingest-job";
import type { JobInit } from "../../src/jobs/lifecycle";
import { sourceKey } from "../../src/storage-keys";
import { chunkOptions, ingestFingerprint } from "../../src/jobs/fingerprint";
import { createJob, drive, getJob, jobsPath, call, jobStub, pendingWork, sha256Hex, token } from "../helpers";

const P = "proj_reserve";
const TEXT = "A document whose create may die after its upload.";

function initFor(id: string): JobInit {
  return {
    id,
    projectId: P,
    sourceId: null,
    originalFilename: "a.txt",
    sourcePath: "a.txt",
    byteSize: new TextEncoder().encode(TEXT).byteLength,
    mimeType: "text/plain",
    isDeepScan: false,
    options: { chunkSize: 1000, chunkOverlap: 100 },
    createdBy: "alice",
  };
}

/** An upload as the route leaves it just before `create`: reserved, then stored. */
async function reservedUpload(): Promise<{ id: string; key: string }> {
  const id = uuidv7();
  await jobStub(id).reserve({ projectId: P, id });
  const key = sourceKey({ projectId: P, id });
  await env.BUCKET.put(key, TEXT);
  return { id, key };
}

function objectState(id: string) {
  return runInDurableObject(jobStub(id), async (_i: IngestJob, state) => ({
    work: state.storage.sql
      .exec<{ kind: string }>("SELECT kind FROM work")
      .toArray()
      .map((r) => r.kind),
    reservations: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM reservation").one().n,
    jobs: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM job").one().n,
    alarm: await state.storage.getAlarm(),
  }));
}

describe("a reserved upload whose job is never created", () => {
  it("is deleted by the object's alarm, which then leaves the object with no rows and no alarm", async () => {
    const { id, key } = await reservedUpload();
    expect(await objectState(id)).toMatchObject({ work: ["reservation"], reservations: 1, jobs: 0 });
    expect((await objectState(id)).alarm).not.toBeNull();
    expect(await pendingWork(id)).toBe(1);

    expect(await runDurableObjectAlarm(jobStub(id))).toBe(true);

    expect(await env.BUCKET.head(key)).toBeNull();
    expect(await objectState(id)).toEqual({ work: [], reservations: 0, jobs: 0, alarm: null });
    expect(await pendingWork(id)).toBe(0);
    const t = await token({ projects: [P] });
    expect((await call(`${jobsPath(P)}/${id}`, { token: t })).status).toBe(404);
  });

  it("is deleted at once by release, which can run again (and after the alarm) harmlessly", async () => {
    const { id, key } = await reservedUpload();
    await jobStub(id).release();
    expect(await env.BUCKET.head(key)).toBeNull();
    expect(await objectState(id)).toEqual({ work: [], reservations: 0, jobs: 0, alarm: null });
    await jobStub(id).release();
    expect(await runDurableObjectAlarm(jobStub(id))).toBe(false);
  });

  it("is retried from the alarm when the delete fails, and deleted on the retry", async () => {
    const { id, key } = await reservedUpload();
    await runInDurableObject(jobStub(id), async (instance: IngestJob) => {
      const self = instance as unknown as { env: Env };
      const real = self.env;
      self.env = { ...real, BUCKET: { ...real.BUCKET, delete: () => Promise.reject(new Error("R2 unavailable")) } as unknown as R2Bucket };
      await instance.alarm();
      self.env = real;
    });
    expect(await env.BUCKET.head(key)).not.toBeNull();
    expect(await objectState(id)).toMatchObject({ work: ["reservation"], reservations: 1 });
    await drive(id);
    expect(await env.BUCKET.head(key)).toBeNull();
    expect(await objectState(id)).toEqual({ work: [], reservations: 0, jobs: 0, alarm: null });
  });
});

describe("a reserved upload whose job is created", () => {
  it("through the route: no reservation is left, and the job completes from its source", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, TEXT);
    const state = await objectState(job.id);
    expect(state.work).not.toContain("reservation");
    expect(state.reservations).toBe(0);
    expect(await (await env.BUCKET.get(sourceKey(job)))!.text()).toBe(TEXT);
    await drive(job.id);
    // Read from its source (an absent one fails the job); the clean-up deletes it after.
    expect((await getJob(t, P, job.id)).status).toBe("COMPLETED");
  });

  it("keeps its source when the reservation's alarm fires after the create", async () => {
    const { id, key } = await reservedUpload();
    await jobStub(id).create(initFor(id));
    // The alarm fires anyway, as if it was already running when create committed.
    await runInDurableObject(jobStub(id), (_i: IngestJob, state) => {
      state.storage.sql.exec("INSERT INTO work (kind, due, attempts) VALUES ('reservation', ?, 0)", Date.now() - 1);
      state.storage.sql.exec("INSERT INTO reservation (k, project_id, job_id) VALUES (1, ?, ?)", P, id);
    });
    expect(await runDurableObjectAlarm(jobStub(id))).toBe(true);
    expect(await env.BUCKET.head(key)).not.toBeNull();
    expect(await objectState(id)).toMatchObject({ reservations: 1 - 1, jobs: 1 });
    expect((await objectState(id)).work).not.toContain("reservation");
    await drive(id);
    const t = await token({ projects: [P] });
    expect((await getJob(t, P, id)).status).toBe("COMPLETED");
  });

  it("is refused while the alarm is deleting its source, so no job is made without one", async () => {
    const { id, key } = await reservedUpload();
    let proceed!: () => void;
    const held = new Promise<void>((r) => (proceed = r));
    let deleting!: () => void;
    const started = new Promise<void>((r) => (deleting = r));
    const alarm = runInDurableObject(jobStub(id), async (instance: IngestJob) => {
      const self = instance as unknown as { env: Env };
      const real = self.env;
      const bucket = real.BUCKET;
      self.env = {
        ...real,
        BUCKET: { delete: async (k: string) => (deleting(), await held, bucket.delete(k)) } as unknown as R2Bucket,
      };
      try {
        await instance.alarm();
      } finally {
        self.env = real;
      }
    });
    await started;
    const created = await jobStub(id)
      .create(initFor(id))
      .then(
        () => "created",
        (err: unknown) => String(err),
      );
    proceed();
    await alarm;
    expect(created).toMatch(/reservation .* expired/);
    expect(await env.BUCKET.head(key)).toBeNull();
    expect(await objectState(id)).toEqual({ work: [], reservations: 0, jobs: 0, alarm: null });
  });
});

describe("an Idempotency-Key whose create died", () => {
  it("is taken over by the next request with the same file; the dead create's own object deletes its upload", async () => {
    const t = await token({ projects: [P] });
    const { id: deadId, key: deadKey } = await reservedUpload();
    const idempotencyKey = `dead-create-${deadId}`;
    // The dead create claimed the key long ago and never created its job.
    const claimedAt = Date.now() - 2 * ABANDONED_CLAIM_MS;
    await claimIdempotencyKey(
      projectDb(env, P),
      P,
      idempotencyKey,
      deadId,
      await ingestFingerprint(await sha256Hex(TEXT), { options: chunkOptions({}) }),
      claimedAt,
    );
    const res = await call(`${jobsPath(P)}?filename=a.txt`, {
      method: "POST",
      token: t,
      body: TEXT,
      headers: { "Content-Type": "text/plain", "Content-Length": String(new TextEncoder().encode(TEXT).byteLength), "Idempotency-Key": idempotencyKey },
    });
    expect(res.status).toBe(201);
    const job = await res.json<{ id: string }>();
    expect(job.id).not.toBe(deadId);
    expect(await env.BUCKET.head(deadKey)).toBeNull();
    // Released by its object (its reservation is gone with the upload), not behind its back.
    expect(await objectState(deadId)).toMatchObject({ work: [], reservations: 0, jobs: 0 });
    expect(await env.BUCKET.head(sourceKey({ projectId: P, id: job.id }))).not.toBeNull();
    await drive(job.id);
    expect((await getJob(t, P, job.id)).status).toBe("COMPLETED");
  });
});
