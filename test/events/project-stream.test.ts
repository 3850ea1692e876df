import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ProjectLog, KEEP_FRAMES, KEEP_MS } from "../../src/events/project-log";
import type { JobEvent } from "../../src/jobs/job-store";
import { call, createJob, drive, jobsPath, problem, step, token } from "../helpers";
import { ProjectWatcher, projectEvents } from "./project-watcher";

const hubStub = (projectId: string) => env.PROJECT_HUB.get(env.PROJECT_HUB.idFromName(projectId));

function expectContiguous(seqs: number[], from: number) {
  expect(seqs).toEqual(seqs.map((_, i) => from + i));
}

describe("GET /events (project stream): snapshot", () => {
  it("starts with a project.snapshot of the QUEUED and RUNNING jobs and the current projectSeq", async () => {
    const P = "proj_snap";
    const t = await token({ projects: [P] });
    const queued = await createJob(t, P);
    const running = await createJob(t, P, "Running text. ".repeat(5000));
    const done = await createJob(t, P, "short");
    const cancelled = await createJob(t, P);
    await step(queued.id); // forwards job.created only: the job stays queued until its next slice
    await step(running.id);
    await step(running.id);
    await drive(done.id);
    await call(`${jobsPath(P)}/${cancelled.id}/cancel`, { method: "POST", token: t });
    await drive(cancelled.id);

    const w = await ProjectWatcher.connect(P, t);
    await w.until(() => w.frames.length >= 1);
    const snap = w.frames[0]!;
    expect(snap.type).toBe("project.snapshot");
    const statuses = Object.fromEntries(snap.jobs!.map((j) => [j.id, j.status]));
    expect(Object.keys(statuses)).not.toContain(done.id);
    expect(Object.keys(statuses)).not.toContain(cancelled.id);
    expect(statuses[running.id]).toBe("RUNNING");
    expect(Object.keys(statuses)).toContain(queued.id);
    for (const status of Object.values(statuses)) expect(["QUEUED", "RUNNING"]).toContain(status);

    // The snapshot's projectSeq is the last frame the hub logged: the next live frame is one more.
    await drive(running.id);
    await w.until(() => w.jobFrames.some((f) => f.jobId === running.id && f.type === "job.completed"));
    expectContiguous(
      w.jobFrames.map((f) => f.projectSeq),
      snap.projectSeq + 1,
    );
    w.close();
  });

  it("is an empty snapshot at projectSeq 0 for a project with no events yet", async () => {
    const t = await token({ projects: ["proj_empty"] });
    const w = await ProjectWatcher.connect("proj_empty", t);
    await w.until(() => w.frames.length >= 1);
    expect(w.frames[0]).toEqual({ type: "project.snapshot", projectSeq: 0, jobs: [] });
    w.close();
  });
});

describe("GET /events?after=<projectSeq> (replay)", () => {
  it("replays what a watcher missed while away, then goes live, with no gap and no duplicate", async () => {
    const P = "proj_replay";
    const t = await token({ projects: [P] });
    const first = await ProjectWatcher.connect(P, t);
    const a = await createJob(t, P, "Job A. ".repeat(4000));
    await step(a.id);
    await step(a.id);
    await first.until(() => first.jobFrames.length >= 2);
    const lastSeen = first.jobFrames[first.jobFrames.length - 1]!.projectSeq;
    first.close();

    // While away: job A finishes and job B is created and finishes.
    await drive(a.id);
    const b = await createJob(t, P, "Job B.");
    await drive(b.id);

    const again = await ProjectWatcher.connect(P, t, lastSeen);
    const c = await createJob(t, P, "Job C.");
    await drive(c.id);
    await again.until(() => again.jobFrames.some((f) => f.jobId === c.id && f.type === "job.completed"));
    expect(again.frames[0]!.type).not.toBe("project.snapshot");
    expectContiguous(
      again.frames.map((f) => f.projectSeq),
      lastSeen + 1,
    );
    // Every job's own seq is gap-free too: nothing was lost at the seam.
    for (const id of [a.id, b.id, c.id]) {
      const mine = [...first.jobFrames, ...again.frames].filter((f) => f.jobId === id).map((f) => f.seq!);
      expectContiguous(mine, 1);
    }
    expect(again.frames.some((f) => f.jobId === b.id && f.type === "job.completed")).toBe(true);
    again.close();
  });

  it("sends nothing old when after is the current projectSeq, then the next frame", async () => {
    const P = "proj_replay_now";
    const t = await token({ projects: [P] });
    const a = await createJob(t, P);
    await drive(a.id);
    const probe = await ProjectWatcher.connect(P, t);
    await probe.until(() => probe.frames.length >= 1);
    const current = probe.frames[0]!.projectSeq;
    probe.close();
    const w = await ProjectWatcher.connect(P, t, current);
    const b = await createJob(t, P);
    await step(b.id);
    await w.until(() => w.frames.length >= 1);
    expect(w.frames[0]).toMatchObject({ type: "job.created", jobId: b.id, projectSeq: current + 1 });
    w.close();
  });

  it("sends a fresh snapshot when the frames after `after` are no longer kept", async () => {
    const P = "proj_replay_old";
    const t = await token({ projects: [P] });
    const a = await createJob(t, P, "Old. ".repeat(4000));
    await drive(a.id);
    const b = await createJob(t, P);
    await step(b.id);
    // Stand-in for pruning: the hub no longer holds frames 1..3.
    await runInDurableObject(hubStub(P), (_i, state) => {
      state.storage.sql.exec("DELETE FROM project_frames WHERE project_seq <= 3");
    });
    const w = await ProjectWatcher.connect(P, t, 1);
    await w.until(() => w.frames.length >= 1);
    expect(w.frames[0]!.type).toBe("project.snapshot");
    expect(w.frames[0]!.jobs!.map((j) => j.id)).toEqual([b.id]);
    w.close();
    // A projectSeq the hub never handed out (ahead of its log) also gets a snapshot.
    const ahead = await ProjectWatcher.connect(P, t, 1_000_000);
    await ahead.until(() => ahead.frames.length >= 1);
    expect(ahead.frames[0]!.type).toBe("project.snapshot");
    ahead.close();
  });

  it("refuses an after that is not a non-negative integer with 400", async () => {
    const t = await token({ projects: ["proj_x"] });
    const res = await call(`${projectEvents("proj_x")}?after=-1`, { token: t, headers: { Upgrade: "websocket" } });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toBe("after must be a non-negative integer");
  });
});

describe("ProjectLog retention (DESIGN §5: at least 24 h or 10,000 frames)", () => {
  const event = (i: number): JobEvent => ({
    type: "job.progress",
    seq: i,
    jobId: "0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11",
    projectId: "proj_retention",
    at: new Date(0).toISOString(),
    job: { id: "0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11", status: "RUNNING", stage: "CHUNKING", progress: 0.5, counters: {} as never, canonicalDocumentId: null },
  });

  it("keeps the newest 10,000 frames however old, and every frame younger than 24 h", async () => {
    await runInDurableObject(hubStub("proj_retention"), (_i, state) => {
      const log = new ProjectLog(state.storage.sql);
      const t0 = Date.now() - 2 * KEEP_MS;
      log.append(
        Array.from({ length: KEEP_FRAMES + 50 }, (_, i) => event(i + 1)),
        t0,
      );
      log.append([event(KEEP_FRAMES + 51)], Date.now());
      log.prune(Date.now());
      // 10,051 frames: the oldest 51 are beyond the newest 10,000 and older than 24 h.
      expect(log.canReplay(51)).toBe(true);
      expect(log.canReplay(50)).toBe(false);
      expect([...log.framesAfter(51)].length).toBe(KEEP_FRAMES);
    });
    // Frames younger than 24 h stay even beyond the newest 10,000.
    await runInDurableObject(hubStub("proj_retention_young"), (_i, state) => {
      const log = new ProjectLog(state.storage.sql);
      log.append(
        Array.from({ length: KEEP_FRAMES + 100 }, (_, i) => event(i + 1)),
        Date.now() - KEEP_MS / 2,
      );
      log.prune(Date.now());
      expect(log.canReplay(0)).toBe(true);
      expect([...log.framesAfter(0)].length).toBe(KEEP_FRAMES + 100);
    });
  });
});
