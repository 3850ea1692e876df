import { describe, expect, it } from "vitest";
import { call, createJob, drive, jobsPath, step, token } from "../helpers";

const P = "proj_ws_resume";

/** Opens a job stream and collects frames until the server closes it (or `ms` pass). */
async function watch(path: string, t: string) {
  const res = await call(path, { token: t, headers: { Upgrade: "websocket" } });
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade refused: ${res.status}`);
  const ws = res.webSocket;
  ws.accept();
  const frames: { type: string; seq: number; job?: { status: string } }[] = [];
  ws.addEventListener("message", (e) => frames.push(JSON.parse(String(e.data))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })));
  return { ws, frames, closed };
}

describe("GET /api/projects/{projectId}/ingest/jobs/{jobId}/events (upgrade, ?after=)", () => {
  it("sends the snapshot for an `after` past the last event, then closes (1000) because the job has ended", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    await drive(job.id);
    const w = await watch(`${jobsPath(P)}/${job.id}/events?after=999999`, t);
    expect(await w.closed).toEqual({ code: 1000, reason: "Job has ended" });
    expect(w.frames).toHaveLength(1);
    expect(w.frames[0]).toMatchObject({ type: "job.snapshot", job: { status: "COMPLETED" } });
  });

  it("replays the missed events of an ended job, then closes (1000)", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    await drive(job.id);
    const w = await watch(`${jobsPath(P)}/${job.id}/events?after=1`, t);
    expect((await w.closed).code).toBe(1000);
    expect(w.frames.at(-1)?.type).toBe("job.completed");
    expect(w.frames.map((f) => f.seq)).toEqual(w.frames.map((_, i) => i + 2));
  });

  it("sends the snapshot for an `after` past the end of a running job and stays open for what comes next", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "Words. ".repeat(30_000));
    await step(job.id);
    const w = await watch(`${jobsPath(P)}/${job.id}/events?after=999999`, t);
    await expect.poll(() => w.frames.length).toBe(1);
    expect(w.frames[0]!.type).toBe("job.snapshot");
    await drive(job.id);
    await expect.poll(() => w.frames.some((f) => f.type === "job.completed")).toBe(true);
    w.ws.close(1000, "bye");
  });
});
