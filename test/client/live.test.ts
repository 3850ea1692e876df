/**
 * The SDK's live stream (src/client/live.ts) against a scripted socket: a hole in `seq`
 * that the server says it left out on purpose (coalesced progress frames) is no gap,
 * any other hole is filled from the log.
 */
import { describe, expect, it } from "vitest";
import { liveStream, type LiveSource, type WebSocketConstructor } from "../../src/client/live";

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
