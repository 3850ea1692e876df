/**
 * The Worker isolate's JS heap, read through `wrangler dev --inspector-port` with the
 * Chrome DevTools Protocol (`ws` as the client): `HeapProfiler.collectGarbage` first,
 * so the figure is the live heap, then `Runtime.getHeapUsage`.
 */
import { WebSocket } from "ws";

/** Connects to the first Worker target behind the inspector port. */
export async function connectInspector(port) {
  const deadline = Date.now() + 30_000;
  let targets = [];
  while (targets.length === 0) {
    try {
      targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
    } catch {
      targets = [];
    }
    if (targets.length === 0) {
      if (Date.now() > deadline) throw new Error(`no inspector target on port ${port}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const target = targets.find((t) => t.webSocketDebuggerUrl) ?? targets[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let nextId = 1;
  const pending = new Map();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data));
    const p = msg.id !== undefined ? pending.get(msg.id) : undefined;
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new Error(msg.error.message));
    else p.resolve(msg.result);
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    /** Any CDP command (bench/profile.mjs drives the Profiler domain with it). */
    send,
    /** Live heap in bytes (after a forced full GC). */
    async liveHeap() {
      await send("HeapProfiler.collectGarbage");
      const { usedSize } = await send("Runtime.getHeapUsage");
      return usedSize;
    },
    /** Samples the live heap every `everyMs` until stop(); returns { peak, samples }. */
    sample(everyMs = 250) {
      let peak = 0;
      let samples = 0;
      let running = true;
      const loop = (async () => {
        while (running) {
          try {
            peak = Math.max(peak, await this.liveHeap());
            samples += 1;
          } catch {
            // the isolate may be busy or restarting; try again
          }
          await new Promise((r) => setTimeout(r, everyMs));
        }
      })();
      return {
        async stop() {
          running = false;
          await loop;
          return { peak, samples };
        },
      };
    },
    close() {
      ws.close();
    },
  };
}
