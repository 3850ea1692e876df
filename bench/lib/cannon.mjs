/**
 * autocannon runs with workerd's cost per request beside them (bench/api.mjs,
 * bench/platform-floor.mjs): CPU time (user + system, from /proc) and bytes written to
 * storage, over the measured run.
 */
import autocannon from "autocannon";
import { readFileSync } from "node:fs";

/** workerd's CPU seconds so far (user + system) and bytes written to storage. */
export function workerdUsage(pids) {
  let cpu = 0;
  let written = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      cpu += (Number(f[11]) + Number(f[12])) / 100;
      written += Number(/write_bytes: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, "utf8"))?.[1] ?? 0);
    } catch {
      // exited, or /proc not readable: the columns show what could be read
    }
  }
  return { cpu, written };
}

/**
 * `{ connections, duration, warmup }` and the workerd pids to watch; returns
 * `measure(name, autocannonOpts)`: a warm-up, then the measured run, giving req/s,
 * p50/p99 ms, failure counts and workerd's cost per request.
 */
export function measurer(load, workerdPids) {
  const cannon = (opts, duration) => autocannon({ connections: load.connections, duration, ...opts });
  return async function measure(name, opts) {
    process.stderr.write(`  ${name}…\n`);
    await cannon(opts, load.warmup);
    const before = workerdUsage(workerdPids());
    const r = await cannon(opts, load.duration);
    const after = workerdUsage(workerdPids());
    return {
      name,
      cpuMsPerReq: ((after.cpu - before.cpu) * 1000) / Math.max(1, r.requests.total),
      diskKbPerReq: (after.written - before.written) / 1024 / Math.max(1, r.requests.total),
      reqPerSec: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      requests: r.requests.total,
      non2xx: r.non2xx,
      errors: r.errors + r.timeouts,
    };
  };
}
