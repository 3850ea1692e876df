import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import type { IngestJob } from "../../src/jobs/ingest-job";
import { describe, expect, it, vi } from "vitest";
import { call, createJob, drive, jobStub, jobsPath, problem, step, token } from "../helpers";

const P = "proj_ws";

interface Frame {
  type: string;
  seq: number;
  jobId?: string;
  projectId?: string;
  at?: string;
  job: { id: string; status: string; stage: string; progress: number; counters?: Record<string, number> };
}

/** A connected watcher collecting frames. */
class Watcher {
  frames: Frame[] = [];
  raw: string[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("message", (e) => {
      const data = typeof e.data === "string" ? e.data : "";
      this.raw.push(data);
      if (data.startsWith("{")) this.frames.push(JSON.parse(data));
      this.wake();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.wake();
    });
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `pred` holds, or throws after `ms`. */
  async until(pred: () => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out; frames: ${this.frames.map((f) => `${f.type}#${f.seq}`).join(", ")}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  close() {
    try {
      this.ws.close(1000, "bye");
    } catch {
      // already closed
    }
  }
}

async function watch(path: string, t?: string, viaQuery = false): Promise<Watcher> {
  const url = viaQuery && t ? `${path}${path.includes("?") ? "&" : "?"}access_token=${t}` : path;
  const res = await call(url, { token: viaQuery ? undefined : t, headers: { Upgrade: "websocket" } });
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade refused: ${res.status} ${await res.text()}`);
  return new Watcher(res.webSocket);
}

const jobEvents = (id: string) => `${jobsPath(P)}/${id}/events`;
const projectEvents = `/api/projects/${P}/ingest/events`;

function expectGapFree(frames: Frame[], from: number) {
  expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => from + i));
}

describe("per-job WebSocket", () => {
  it("sends a snapshot, then every event of a full run in order with no gap", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "# T\n\n" + "Words and more words. ".repeat(20_000), { filename: "a.md", type: "text/markdown" });
    const w = await watch(jobEvents(job.id), t);
    await w.until(() => w.frames.length >= 1);
    expect(w.frames[0]).toMatchObject({ type: "job.snapshot", seq: 1, job: { id: job.id, status: "QUEUED" } });
    await drive(job.id);
    await w.until(() => w.frames.some((f) => f.type === "job.completed"));
    const events = w.frames.slice(1);
    expectGapFree(events, 2);
    expect(events[0]!.type).toBe("job.started");
    const log = await (await call(jobEvents(job.id), { token: t })).json<{ items: Frame[] }>();
    expect(events).toEqual(log.items.slice(1));
    // Every stage's final state was sent: the progress event just before each job.stage is that stage at 100%.
    for (const [i, f] of events.entries()) {
      if (f.type === "job.stage") expect(events[i - 1]!.type).toBe("job.progress");
    }
    for (const f of events) expect(Object.keys(f).sort()).toEqual(["at", "job", "jobId", "projectId", "seq", "type"]);
    w.close();
  });

  it("replays what a watcher missed with ?after=, then goes live, with no gap or duplicate", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "Some words. ".repeat(30_000));
    const first = await watch(jobEvents(job.id), t);
    await step(job.id);
    await first.until(() => first.frames.length >= 3);
    const lastSeen = first.frames[first.frames.length - 1]!.seq;
    first.close();
    await step(job.id);
    await step(job.id);
    const again = await watch(`${jobEvents(job.id)}?after=${lastSeen}`, t);
    await drive(job.id);
    await again.until(() => again.frames.some((f) => f.type === "job.completed"));
    expect(again.frames[0]!.type).not.toBe("job.snapshot");
    expectGapFree(again.frames, lastSeen + 1);
    again.close();
  });

  it("returns the stored log as JSON without the upgrade, after a given seq", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    await call(`${jobsPath(P)}/${job.id}/cancel`, { method: "POST", token: t });
    const all = await (await call(jobEvents(job.id), { token: t })).json<{ items: Frame[]; lastSeq: number }>();
    expect(all.items.map((e) => e.type)).toEqual(["job.created", "job.cancelled"]);
    expect(all.lastSeq).toBe(2);
    const after = await (await call(`${jobEvents(job.id)}?after=1`, { token: t })).json<{ items: Frame[] }>();
    expect(after.items.map((e) => e.seq)).toEqual([2]);
    expect((await call(`${jobEvents(job.id)}?after=-1`, { token: t })).status).toBe(400);
  });

  it("accepts ?access_token= on an upgrade (browsers cannot set headers)", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    const w = await watch(jobEvents(job.id), t, true);
    await w.until(() => w.frames.length === 1);
    expect(w.frames[0]!.type).toBe("job.snapshot");
    w.close();
  });

  it("refuses upgrades with HTTP problems: no token, expired, other project, viewer-less, deleted job", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    const deleted = await createJob(t, P);
    await call(`${jobsPath(P)}/${deleted.id}/cancel`, { method: "POST", token: t });
    await call(`${jobsPath(P)}/${deleted.id}`, { method: "DELETE", token: t });
    const cases: [string, string | undefined, number][] = [
      [jobEvents(job.id), undefined, 401],
      [jobEvents(job.id), await token({ projects: [P], ttl: -120 }), 401],
      [jobEvents(job.id), await token({ projects: ["proj_other"] }), 403],
      [jobEvents(job.id), await token({ projects: [P], roles: [] }), 403],
      [jobEvents(deleted.id), t, 404],
      [projectEvents, undefined, 401],
      [projectEvents, await token({ projects: ["proj_other"] }), 403],
    ];
    for (const [path, tok, status] of cases) {
      const res = await call(path, { token: tok, headers: { Upgrade: "websocket" } });
      expect(res.status, `${path} ${status}`).toBe(status);
      expect(res.webSocket).toBeFalsy();
      await problem(res);
    }
  });

  it("closes a watcher whose token expires with close code 4001", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    const short = await token({ projects: [P], ttl: 2 });
    const w = await watch(jobEvents(job.id), short);
    await w.until(() => w.closed !== null, 15_000);
    expect(w.closed).toEqual({ code: 4001, reason: "Token expired" });
  });

  it("answers ping with pong", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    const w = await watch(jobEvents(job.id), t);
    w.ws.send("ping");
    await w.until(() => w.raw.includes("pong"));
    w.close();
  });

  it("keeps delivering after the object is evicted and wakes again", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "Eviction test words. ".repeat(5000));
    const w = await watch(jobEvents(job.id), t);
    await w.until(() => w.frames.length === 1);
    await evictDurableObject(jobStub(job.id));
    await drive(job.id);
    await w.until(() => w.frames.some((f) => f.type === "job.completed"));
    expectGapFree(w.frames.slice(1), 2);
    w.close();
  });

  it("gives 50 watchers of one job the same sequence", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "Fifty watchers. ".repeat(10_000));
    const watchers = await Promise.all(Array.from({ length: 50 }, () => watch(jobEvents(job.id), t)));
    await drive(job.id);
    for (const w of watchers) await w.until(() => w.frames.some((f) => f.type === "job.completed"));
    const reference = JSON.stringify(watchers[0]!.frames);
    for (const w of watchers) expect(JSON.stringify(w.frames)).toBe(reference);
    for (const w of watchers) w.close();
  });
});

describe("per-project WebSocket", () => {
  it("sees every job of the project, including jobs created after connecting, interleaved", async () => {
    const t = await token({ projects: [P] });
    const w = await watch(projectEvents, t);
    const a = await createJob(t, P, "Job A text. ".repeat(3000));
    const b = await createJob(t, P, "Job B text. ".repeat(3000));
    // Alternate the two jobs' slices.
    for (let more = true; more; ) {
      const ranA = await step(a.id);
      const ranB = await step(b.id);
      more = ranA || ranB;
    }
    await w.until(() => [a.id, b.id].every((id) => w.frames.some((f) => f.jobId === id && f.type === "job.completed")));
    for (const id of [a.id, b.id]) {
      const mine = w.frames.filter((f) => f.jobId === id);
      expect(mine[0]!.type).toBe("job.created");
      expectGapFree(mine, 1);
    }
    const order = w.frames.map((f) => f.jobId);
    const firstB = order.indexOf(b.id);
    expect(order.slice(firstB).includes(a.id)).toBe(true); // interleaved, not one after the other
    w.close();
  });

  it("is WebSocket only: 426 without the upgrade", async () => {
    const res = await call(projectEvents, { token: await token({ projects: [P] }) });
    expect(res.status).toBe(426);
  });
});

describe("job.cancelled (JobCancelled) is published", () => {
  const routes: [string, (id: string, t: string) => Promise<Response>][] = [
    ["project cancel", (id, t) => call(`${jobsPath(P)}/${id}/cancel`, { method: "POST", token: t })],
    ["seed DELETE", (id, t) => call(`/api/v1/ingestion/job/${id}`, { method: "DELETE", token: t })],
    ["id-only cancel", (id, t) => call(`/api/jobs/${id}/cancel`, { method: "POST", token: t })],
  ];
  for (const [name, cancel] of routes) {
    it(`reaches job watchers, project watchers and the queue consumer via the ${name} route`, async () => {
      const logged = vi.spyOn(console, "log");
      const t = await token({ projects: [P] });
      const job = await createJob(t, P);
      const jw = await watch(jobEvents(job.id), t);
      const pw = await watch(projectEvents, t);
      expect((await cancel(job.id, t)).status).toBe(200);
      await jw.until(() => jw.frames.some((f) => f.type === "job.cancelled"));
      await pw.until(() => pw.frames.some((f) => f.type === "job.cancelled" && f.jobId === job.id));
      const cancelled = jw.frames.find((f) => f.type === "job.cancelled")!;
      expect(cancelled).toMatchObject({ seq: 2, jobId: job.id, projectId: P, job: { status: "CANCELLED" } });
      // The in-repo queue consumer keeps nothing in D1: it logs terminal events.
      const deadline = Date.now() + 15_000;
      const finished = () => logged.mock.calls.map(([line]) => String(line)).filter((l) => l.includes('"job finished"') && l.includes(job.id));
      while (Date.now() < deadline && finished().length === 0) await new Promise((r) => setTimeout(r, 100));
      expect(JSON.parse(finished()[0]!)).toMatchObject({ type: "job.cancelled", jobId: job.id, projectId: P, seq: 2, status: "CANCELLED" });
      jw.close();
      pw.close();
      logged.mockRestore();
    });
  }
});

describe("progress frames at the fan-out", () => {
  it("coalesces progress frames when many watch, never drops another frame, and says how many it left out", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    const w = await watch(jobEvents(job.id), t);
    await w.until(() => w.frames.length === 1);
    // As if 1,000 sockets watched (a progress frame at most every 2 s per socket); the
    // frames are logged events of the job, published as a commit would.
    await runInDurableObject(jobStub(job.id), (instance: IngestJob) => {
      const watchers = (instance as unknown as { watchers: { count(): number; publish(f: unknown): void } }).watchers;
      watchers.count = () => 1000;
      const frame = (seq: number, type: string) => ({
        type,
        seq,
        jobId: job.id,
        projectId: P,
        at: new Date().toISOString(),
        job: { ...job, progress: seq / 10 },
      });
      watchers.publish(frame(2, "job.progress"));
      watchers.publish(frame(3, "job.progress"));
      watchers.publish(frame(4, "job.progress"));
      watchers.publish(frame(5, "job.stage"));
    });
    await w.until(() => w.frames.some((f) => f.seq === 5));
    const received = w.frames.slice(1) as (Frame & { coalesced?: number })[];
    expect(received.map((f) => [f.type, f.seq, f.coalesced])).toEqual([
      ["job.progress", 2, undefined],
      ["job.stage", 5, 2],
    ]);
    w.close();
  });
});
