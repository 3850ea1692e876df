/**
 * The platform's floor (bench/platform-floor/worker.ts) under its own `wrangler dev`, for
 * the benchmarks that print the service beside it in the same run: bench/platform-floor.mjs,
 * bench/pipeline.mjs (a job's floor) and bench/api.mjs (a create's floor).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startDev } from "../../scripts/lib/dev-server.mjs";

const MB = 1 << 20;

/** Starts the floor Worker on a fresh state directory; `stop()` ends it and removes the state. */
export async function startPlatformFloor() {
  const persistTo = mkdtempSync(join(tmpdir(), "platform-floor-"));
  const dev = await startDev({ port: await freePort(), persistTo, config: new URL("../platform-floor/wrangler.toml", import.meta.url).pathname });
  return {
    url: dev.url,
    workerdPids: dev.workerdPids,
    async stop() {
      await dev.stop();
      rmSync(persistTo, { recursive: true, force: true });
    },
  };
}

/** The 1 KB body of a create, as bench/api.mjs sends it to the service. */
export const CREATE_BODY = "x".repeat(1000) + "\n".repeat(24);

/** autocannon options for the floor's create (`measure` from bench/lib/cannon.mjs). */
export function floorCreateRequest(url) {
  return { url: `${url}/create`, method: "POST", body: CREATE_BODY };
}

/** autocannon options for the floor's create with what the contract adds (index row, event, queue). */
export function floorContractCreateRequest(url) {
  return { url: `${url}/create-contract`, method: "POST", body: CREATE_BODY };
}

/**
 * A job's floor on `bytes`: stores them as a source once, then `runs` times reads them in
 * 1 MiB ranges and writes a text of the same size and its chunk table (multipart parts),
 * each in a new object. Returns the best run: { ms (client wall time), objectMs (the
 * object's own clock, first read to last write), MBps (by objectMs, as the service's
 * created → COMPLETED is timed by its own event log) }.
 */
export async function floorJob(url, name, bytes, runs = 3) {
  const put = await fetch(`${url}/source/${name}`, { method: "PUT", body: bytes, headers: { "Content-Length": String(bytes.length) } });
  if (!put.ok) throw new Error(`floor source ${name}: ${put.status} ${await put.text()}`);
  let best = null;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}/job/${name}`, { method: "POST" });
    if (!res.ok) throw new Error(`floor job ${name}: ${res.status} ${await res.text()}`);
    const body = await res.json();
    const ms = performance.now() - t0;
    if (!best || body.ms < best.objectMs) best = { ms, objectMs: body.ms, parts: body.parts };
  }
  return { ...best, MBps: +(bytes.length / MB / (Math.max(1, best.objectMs) / 1000)).toFixed(1) };
}
