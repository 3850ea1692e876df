import { describe, expect, it } from "vitest";
import { call, createJob, jobsPath, token } from "../helpers";

/** Opens a watcher socket and records what the server sends and how it closes. */
async function open(path: string, t: string) {
  const res = await call(path, { token: t, headers: { Upgrade: "websocket" } });
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade refused: ${res.status}`);
  const ws = res.webSocket;
  ws.accept();
  const received: string[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })));
  ws.addEventListener("message", (e) => received.push(typeof e.data === "string" ? e.data : "<binary>"));
  return { ws, received, closed };
}

const P = "proj_frames";
const streams = async (t: string) => {
  const job = await createJob(t, P);
  return { "the project stream": `/api/projects/${P}/ingest/events`, "a job's stream": `${jobsPath(P)}/${job.id}/events` };
};

describe("client frames on watcher sockets", () => {
  it('closes the socket with 1008 at the first frame that is not "ping", on the project and the job stream', async () => {
    const t = await token({ projects: [P] });
    for (const [name, path] of Object.entries(await streams(t))) {
      for (const frame of ["hello", "x".repeat(100), new Uint8Array(8).buffer]) {
        const w = await open(path, t);
        w.ws.send(frame);
        const closed = await w.closed;
        expect(closed.code, name).toBe(1008);
        expect(closed.reason).toBe('Watchers may only send "ping"');
      }
    }
  });

  it('answers "ping" with "pong" and keeps the socket open', async () => {
    const t = await token({ projects: [P] });
    for (const path of Object.values(await streams(t))) {
      const w = await open(path, t);
      for (let i = 0; i < 3; i++) w.ws.send("ping");
      await expect.poll(() => w.received.filter((m) => m === "pong").length).toBe(3);
      w.ws.send("bye");
      expect((await w.closed).code).toBe(1008);
    }
  });
});
