/**
 * The SDK's live stream (src/client/live.ts) against a scripted socket: a hole in `seq`
 * that the server says it left out on purpose (coalesced progress frames) is no gap,
 * any other hole is filled from the log.
 */
import { describe, expect, it } from "vitest";
import { EdgeIngestError } from "../../src/client/errors";
import { followLog, liveStream, type LiveSource, type WebSocketConstructor, waitFor } from "../../src/client/live";

type Frame = { type: string; seq: number; coalesced?: number };

/** A WebSocket that opens, sends `frames`, then closes normally. */
function scriptedSocket(frames: Frame[]): WebSocketConstructor {
  return class extends EventTarget {
    readyState = 1;
    constructor(_url: string) {
      super();
      queueMicrotask(() => {
        this.dispatchEvent(new Event("open"));
        for (const f of frames) this.dispatchEvent(new MessageEvent("message", { data: JSON.stringify(f) }));
        const close = new Event("close") as Event & { code: number; reason: string };
        close.code = 1000;
        close.reason = "";
        this.dispatchEvent(close);
      });
    }
    send() {}
    close() {}
  } as unknown as WebSocketConstructor;
}

function source(log: Frame[], filled: number[][]): LiveSource<Frame> {
  return {
    url: async () => "ws://test/events",
    position: (f) => f.seq,
    isSnapshot: (f) => f.type === "job.snapshot",
    isLast: (f) => f.type === "job.completed",
    coalesced: (f) => f.coalesced ?? 0,
    fill: async (after, before) => {
      filled.push([after, before]);
      return log.filter((f) => f.seq > after && f.seq < before);
    },
    probe: async () => undefined,
    endOnNormalClose: true,
  };
}

async function collect(frames: Frame[], log: Frame[]) {
  const filled: number[][] = [];
  const out: Frame[] = [];
  for await (const f of liveStream(source(log, filled), { WebSocket: scriptedSocket(frames) })) out.push(f);
  return { seqs: out.map((f) => f.seq), filled };
}

describe("liveStream", () => {
  const log: Frame[] = [2, 3, 4, 5, 6].map((seq) => ({ type: seq === 6 ? "job.completed" : "job.progress", seq }));

  it("takes a hole the server coalesced (progress frames left out) as no gap", async () => {
    const { seqs, filled } = await collect(
      [
        { type: "job.snapshot", seq: 1 },
        { type: "job.progress", seq: 2 },
        { type: "job.progress", seq: 5, coalesced: 2 },
        { type: "job.completed", seq: 6 },
      ],
      log,
    );
    expect(seqs).toEqual([1, 2, 5, 6]);
    expect(filled).toEqual([]);
  });

  it("fills any other hole from the log", async () => {
    const { seqs, filled } = await collect(
      [
        { type: "job.snapshot", seq: 1 },
        { type: "job.progress", seq: 2 },
        { type: "job.progress", seq: 5, coalesced: 1 },
        { type: "job.completed", seq: 6 },
      ],
      log,
    );
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
    expect(filled).toEqual([[2, 5]]);
  });
});

describe("followLog", () => {
  it("yields each logged event once, in order, across polls, and ends after the last", async () => {
    const pages: Frame[][] = [
      [{ type: "job.progress", seq: 2 }],
      [],
      [
        { type: "job.progress", seq: 2 },
        { type: "job.progress", seq: 3 },
      ],
      [
        { type: "job.completed", seq: 4 },
        { type: "job.progress", seq: 5 },
      ],
    ];
    const asked: number[] = [];
    const out: number[] = [];
    const log = async (after: number) => (asked.push(after), { items: pages.shift() ?? [] });
    for await (const e of followLog(log, (f) => f.type === "job.completed", 1, 0)) out.push(e.seq);
    expect(out).toEqual([2, 3, 4]);
    expect(asked).toEqual([1, 2, 2, 3]);
  });
});

describe("waitFor", () => {
  const finished = { status: "COMPLETED" };
  const source = (events: () => AsyncIterable<Frame>, seen: string[]) => ({
    events,
    isLast: (f: Frame) => f.type === "job.completed",
    onFrame: (f: Frame) => void seen.push(f.type),
    read: async () => (seen.push("read"), finished),
    poll: async () => (seen.push("poll"), finished),
  });

  it("follows the stream to its last frame, then reads the finished thing once", async () => {
    const seen: string[] = [];
    async function* frames() {
      yield { type: "job.progress", seq: 1 };
      yield { type: "job.completed", seq: 2 };
      yield { type: "job.progress", seq: 3 };
    }
    expect(await waitFor(source(frames, seen), { WebSocket: scriptedSocket([]) })).toBe(finished);
    expect(seen).toEqual(["job.progress", "job.completed", "read"]);
  });

  it("polls when the client opens no sockets", async () => {
    const seen: string[] = [];
    const frames = () => {
      throw new Error("no stream without sockets");
    };
    expect(await waitFor(source(frames, seen), { WebSocket: null })).toBe(finished);
    expect(seen).toEqual(["poll"]);
  });

  it("polls when no socket could be opened, and passes any other failure on", async () => {
    const seen: string[] = [];
    // A stream that fails before its first frame, as one whose sockets never open.
    const failing = (err: Error) => (): AsyncIterable<Frame> => ({
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(err) }),
    });
    const unopened = failing(new EdgeIngestError(0, "Could not open a WebSocket (5 tries)"));
    expect(await waitFor(source(unopened, seen), { WebSocket: scriptedSocket([]) })).toBe(finished);
    expect(seen).toEqual(["poll"]);
    const refused = failing(new EdgeIngestError(404, "Job not found"));
    await expect(waitFor(source(refused, []), { WebSocket: scriptedSocket([]) })).rejects.toMatchObject({ status: 404 });
  });
});
