/**
 * Bulk ingestion: files/s from the first byte sent to every job COMPLETED, for
 *   1. the CLI: `edge-ingest upload <dir> --json --concurrency C` (hashing, idempotency
 *      keys, one project WebSocket, the whole program as a user runs it), and
 *   2. the raw create route driven directly at the same concurrency (POST the bytes,
 *      then poll `GET /jobs?status=COMPLETED` until the total is reached),
 * in the same run against the same `wrangler dev` (fresh state, limits raised), each on
 * its own folders and projects so neither finds the other's jobs. The files are sent in
 * two halves, in alternating order (raw, CLI, CLI, raw), so neither side always meets the
 * fuller database or the busier moment of a shared machine; each side's rate is its
 * files over its summed time. Target: CLI ≥ 0.8 × raw.
 *
 * Then the CLI runs again on its folders (same projects, same options): a rerun of files
 * already ingested, through a proxy that counts the bytes and requests it sends. It
 * looks the files up (one request per 1,000) and uploads none. Target: rerun ≤ 0.1 × the
 * first run's time, and no create request (so no file byte).
 *
 *   npm run bench:bulk                              # 1,000 files of 1–20 KB, concurrency 8
 *   npm run bench:bulk -- --files 200 --concurrency 4
 *
 * Writes bench/out/bulk.json. The machine's CPUs are shared by workerd, the CLI and this
 * script, so absolute figures depend on the host; the ratio is the point.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { markdown } from "./lib/corpus.mjs";
import { freePort, startDev, token } from "../scripts/lib/dev-server.mjs";

const { values } = parseArgs({ options: { files: { type: "string", default: "1000" }, concurrency: { type: "string", default: "8" } } });
const FILES = Number(values.files);
const CONCURRENCY = Number(values.concurrency);
const ROOT = new URL("../", import.meta.url).pathname;

const dirs = [];
/** `n` Markdown files of 1–20 KB, distinct per `tag`. */
function corpus(tag, n, seed) {
  const dir = mkdtempSync(join(tmpdir(), `edge-ingest-bulk-${tag}-`));
  dirs.push(dir);
  for (let i = 0; i < n; i++) {
    const size = 1024 + (((i + seed) * 7919) % (19 * 1024));
    writeFileSync(join(dir, `${tag}-${String(i).padStart(4, "0")}.md`), `# ${tag} ${i}\n\n${markdown(size, i + seed)}`);
  }
  return { dir, n };
}

async function rawRun(url, t, project, { dir, n }) {
  const names = readdirSync(dir);
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (let name = names[next++]; name; name = names[next++]) {
      const body = readFileSync(join(dir, name));
      const res = await fetch(`${url}/api/projects/${project}/ingest/jobs?filename=${encodeURIComponent(name)}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${t}`, "Content-Type": "text/markdown" },
        body,
      });
      if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const uploaded = performance.now();
  for (;;) {
    const res = await fetch(`${url}/api/projects/${project}/ingest/jobs?status=COMPLETED&limit=1`, { headers: { Authorization: `Bearer ${t}` } });
    const { total } = await res.json();
    if (total >= n) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { seconds: (performance.now() - started) / 1000, uploadSeconds: (uploaded - started) / 1000 };
}

async function cliRun(url, t, project, { dir, n }) {
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, "dist/cli.js"), "upload", dir, "--json", "--concurrency", String(CONCURRENCY)], {
    env: { ...process.env, EDGE_INGEST_URL: url, EDGE_INGEST_TOKEN: t, EDGE_INGEST_PROJECT: project },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let completed = 0;
  let stderr = "";
  child.stdout.on("data", (d) => (completed += (d.toString().match(/"status":"COMPLETED"/g) ?? []).length));
  child.stderr.on("data", (d) => (stderr += d.toString()));
  const code = await new Promise((r) => child.on("close", r));
  if (code !== 0 || completed !== n) throw new Error(`CLI exit ${code}, ${completed} completed: ${stderr.slice(-2000)}`);
  return { seconds: (performance.now() - started) / 1000 };
}

/** A TCP proxy to `target` that counts the bytes clients send and their create requests. */
async function countingProxy(target) {
  const { hostname, port } = new URL(target);
  const counts = { bytes: 0, creates: 0, lookups: 0 };
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    client.on("data", (d) => {
      counts.bytes += d.length;
      for (const m of d.toString("latin1").matchAll(/POST (\/\S*) HTTP\/1\.1\r\n/g)) {
        if (/\/ingest\/jobs(\?|$)/.test(m[1])) counts.creates++;
        if (m[1].endsWith("/ingest/lookup")) counts.lookups++;
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => (client.destroy(), upstream.destroy());
    client.on("error", drop);
    upstream.on("error", drop);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}`, counts, close: () => new Promise((r) => (server.closeAllConnections?.(), server.close(r))) };
}

const build = spawn(process.execPath, [join(ROOT, "scripts/build-clients.mjs")], { stdio: "inherit" });
await new Promise((r) => build.on("close", r));

// wrangler.toml serves the dashboard's assets from dist/web: build them if absent.
if (!existsSync(new URL("../dist/web", import.meta.url))) {
  const web = spawnSync(process.execPath, [new URL("../scripts/build-web.mjs", import.meta.url).pathname], { stdio: "inherit" });
  if (web.status !== 0) process.exit(web.status ?? 1);
}
const persistTo = mkdtempSync(join(tmpdir(), "edge-ingest-bench-bulk-"));
const server = await startDev({
  port: await freePort(),
  persistTo,
  vars: { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000000", RATE_LIMIT_USER_PER_HOUR: "1000000000" },
});
const half = Math.ceil(FILES / 2);
const plan = [
  ["raw", corpus("raw-a", half, 100_000)],
  ["cli", corpus("cli-a", half, 1)],
  ["cli", corpus("cli-b", FILES - half, 200_000)],
  ["raw", corpus("raw-b", FILES - half, 300_000)],
];
try {
  const t = await token({ roles: ["admin"], ttl: 6 * 3600 });
  console.log(`bulk: ${FILES} Markdown files of 1–20 KB per side, concurrency ${CONCURRENCY}, ${cpus().length} CPUs`);
  const totals = { raw: 0, cli: 0 };
  const runs = [];
  for (const [i, [side, files]] of plan.entries()) {
    const r = side === "raw" ? await rawRun(server.url, t, `bulk-raw-${i}`, files) : await cliRun(server.url, t, `bulk-cli-${i}`, files);
    totals[side] += r.seconds;
    runs.push({ side, files: files.n, ...r });
    console.log(
      `  ${side === "raw" ? "raw create route " : "edge-ingest upload"}: ${files.n} files in ${r.seconds.toFixed(1)} s (${(files.n / r.seconds).toFixed(1)} files/s)`,
    );
  }
  const raw = FILES / totals.raw;
  const cli = FILES / totals.cli;
  console.log(`raw create route : ${raw.toFixed(1)} files/s to all COMPLETED`);
  console.log(`edge-ingest upload: ${cli.toFixed(1)} files/s to all COMPLETED`);
  const ratio = cli / raw;
  console.log(`CLI / raw: ${ratio.toFixed(2)} (target ≥ 0.80) ${ratio >= 0.8 ? "✓" : "✗"}`);
  // The rerun: the CLI's folders again, into the same projects, through the counting proxy.
  const proxy = await countingProxy(server.url);
  let rerunSeconds = 0;
  try {
    for (const [i, [side, files]] of plan.entries()) {
      if (side === "cli") rerunSeconds += (await cliRun(proxy.url, t, `bulk-cli-${i}`, files)).seconds;
    }
  } finally {
    await proxy.close();
  }
  const fileBytes = plan
    .filter(([side]) => side === "cli")
    .reduce((sum, [, f]) => sum + readdirSync(f.dir).reduce((a, n) => a + readFileSync(join(f.dir, n)).length, 0), 0);
  const rerun = {
    seconds: rerunSeconds,
    ratio: rerunSeconds / totals.cli,
    bytesSent: proxy.counts.bytes,
    creates: proxy.counts.creates,
    lookups: proxy.counts.lookups,
    fileBytes,
  };
  console.log(
    `rerun of the ${FILES} ingested files: ${rerunSeconds.toFixed(1)} s, ${(rerun.ratio).toFixed(3)} × the first run (target ≤ 0.10) ${rerun.ratio <= 0.1 ? "✓" : "✗"}`,
  );
  console.log(`  sent ${rerun.bytesSent} bytes (${rerun.lookups} lookups, ${rerun.creates} creates) for ${fileBytes} bytes of files`);
  mkdirSync(join(ROOT, "bench/out"), { recursive: true });
  writeFileSync(
    join(ROOT, "bench/out/bulk.json"),
    JSON.stringify({ files: FILES, concurrency: CONCURRENCY, cpus: cpus().length, raw, cli, ratio, runs, rerun }, null, 2),
  );
} finally {
  await server.stop();
  for (const d of [persistTo, ...dirs]) rmSync(d, { recursive: true, force: true });
}
