/**
 * `npm run bench:arxiv`: arXiv harvests through a real `wrangler dev` against the local
 * fake arXiv (scripts/fake-arxiv.mjs), which times every request it serves.
 *
 * 1. With `ARXIV_MIN_INTERVAL_MS=0` (nothing paces but the one-at-a-time gate):
 *    - a harvest of `--papers` papers with their small PDFs processed: papers/s from the
 *      request to every item COMPLETED, and the time at the fake beside the service's own;
 *    - a harvest of 200 papers without PDFs: the service's overhead per paper (gate hop,
 *      parse, D1 upsert, checkpoint) beside the fake's time, and per request the gap from
 *      the fake's answer to the next request (the gate hop).
 * 2. With the default interval (3 s) and cost tracing (src/capacity/cost-trace.ts):
 *    - D1 statements for 100, 200 and 300 papers (1 to 3 pages of 100), no PDFs: a
 *      constant number per page, not one per paper;
 *    - 3 pages of 10 papers (with their PDFs; `--quick`: without): the time arXiv's rule
 *      implies (one request every 3 s) beside the measured one. Target: within 10 %, the
 *      gate adds no waiting of its own.
 *
 *   npm run bench:arxiv                 # 200 papers with PDFs; pacing run with PDFs (~2 min)
 *   npm run bench:arxiv -- --quick      # 60 papers with PDFs; pacing run of pages only
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startFakeArxiv } from "../scripts/fake-arxiv.mjs";
import { freePort, startDev, token } from "../scripts/lib/dev-server.mjs";

const { values } = parseArgs({ options: { papers: { type: "string" }, quick: { type: "boolean", default: false } } });
const QUICK = values.quick;
const PAPERS = Number(values.papers ?? (QUICK ? 60 : 200));
const DEFAULT_INTERVAL_MS = 3000;
const ROOT = new URL("../", import.meta.url).pathname;
const LIMITS = { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000000", RATE_LIMIT_USER_PER_HOUR: "1000000000" };

const fake = await startFakeArxiv();
const t = await token({ roles: ["admin"], ttl: 6 * 3600 });
const out = { papers: PAPERS, quick: QUICK, cpus: cpus().length };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

async function control(body) {
  const res = await fetch(`${fake.url}/__control`, { method: "POST", body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`fake control: ${res.status}`);
}
const requests = async () => (await fetch(`${fake.url}/__requests`)).json();

/** Starts a harvest and follows it to its end; returns the batch, seconds to its end, and the fake's requests meanwhile. */
async function harvest(server, project, body) {
  const from = (await requests()).length;
  const started = performance.now();
  const res = await fetch(`${server.url}/api/projects/${project}/ingest/batches`, {
    method: "POST",
    headers: { Authorization: `Bearer ${t}`, "Content-Type": "application/json" },
    body: JSON.stringify({ kind: "arxiv", ...body }),
  });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  const { id } = await res.json();
  let batch;
  for (;;) {
    batch = await (await fetch(`${server.url}/api/projects/${project}/ingest/batches/${id}`, { headers: { Authorization: `Bearer ${t}` } })).json();
    if (["COMPLETED", "FAILED", "CANCELLED"].includes(batch.status)) break;
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  if (batch.status !== "COMPLETED") throw new Error(`harvest ended ${batch.status}: ${JSON.stringify(batch.errors)}`);
  return { batch, seconds, requests: (await requests()).slice(from) };
}

/** The fake's time and, per request after the first, the gap from its answer to the next arrival. */
function atTheFake(reqs) {
  const gaps = reqs.slice(1).map((r, i) => r.at - (reqs[i].at + reqs[i].ms));
  return { requests: reqs.length, fakeMs: sum(reqs.map((r) => r.ms)), medianGapMs: median(gaps), spanMs: reqs.length ? reqs.at(-1).at - reqs[0].at : 0 };
}

const fmt = (ms) => `${ms.toFixed(ms < 1 ? 2 : 1)} ms`;
const dirs = [];
function stateDir(tag) {
  const dir = mkdtempSync(join(tmpdir(), `edge-ingest-bench-arxiv-${tag}-`));
  dirs.push(dir);
  return dir;
}
const arxivVars = (interval) => ({
  ...LIMITS,
  ARXIV_API_URL: `${fake.url}/api/query`,
  ARXIV_PDF_BASE: `${fake.url}/pdf/`,
  WEBHOOK_ALLOW_HTTP_LOCALHOST: "true",
  ARXIV_MIN_INTERVAL_MS: String(interval),
});

try {
  // 1. Throughput and overhead, nothing paced but one request at a time.
  {
    const server = await startDev({ port: await freePort(), persistTo: stateDir("fast"), vars: arxivVars(0) });
    try {
      console.log(`arXiv harvests through wrangler dev, ARXIV_MIN_INTERVAL_MS=0, ${cpus().length} CPUs`);
      await control({ total: Math.max(PAPERS, 200) + 31 });
      const full = await harvest(server, "bench-arxiv-pdfs", { query: "cat:cs.IR", maxResults: PAPERS });
      const s = full.batch.stats;
      if (s.papers_created !== PAPERS) throw new Error(`counters: ${JSON.stringify(s)}`);
      if (s.pdfs_processed !== PAPERS) {
        const failed = await (
          await fetch(`${server.url}/api/projects/bench-arxiv-pdfs/ingest/batches/${full.batch.id}/items?status=FAILED&limit=100`, {
            headers: { Authorization: `Bearer ${t}` },
          })
        ).json();
        console.log(`  ${PAPERS - s.pdfs_processed} items did not complete:`, JSON.stringify(failed.items.map((i) => [i.source, i.error])));
      }
      const pdfRequests = full.requests.filter((r) => r.path.startsWith("/pdf/"));
      const pdfs = atTheFake(pdfRequests);
      // The first BATCH_CONCURRENCY downloads are queued at the gate at once: their gaps are the gate's own hop.
      const queued = atTheFake(pdfRequests.slice(0, 8));
      const fakeAll = atTheFake(full.requests);
      out.withPdfs = {
        seconds: full.seconds,
        papersPerSecond: PAPERS / full.seconds,
        requests: fakeAll.requests,
        fakeMs: fakeAll.fakeMs,
        pdfMedianGapMs: pdfs.medianGapMs,
        gateHopMs: queued.medianGapMs,
      };
      console.log(
        `with PDFs: ${PAPERS} papers harvested, downloaded and processed in ${full.seconds.toFixed(1)} s: ${(PAPERS / full.seconds).toFixed(2)} papers/s`,
      );
      console.log(
        `  per paper: ${fmt((full.seconds * 1000) / PAPERS)} in all, of which the fake arXiv ${fmt(fakeAll.fakeMs / PAPERS)}; the rest is the service (gate, R2, item job, PDF pipeline)`,
      );
      console.log(
        `  gate hop: median ${fmt(queued.medianGapMs)} from the fake's answer to the next request while downloads wait at the gate (stream to R2, next turn; locally every object shares one workerd process with the PDF pipeline)`,
      );
      console.log(
        `  PDF requests overall: median ${fmt(pdfs.medianGapMs)} apart: an item holds one of BATCH_CONCURRENCY slots until its job completes, so unpaced downloads follow the PDF pipeline`,
      );

      await control({ total: 231 });
      const pages = await harvest(server, "bench-arxiv-pages", { query: "cat:cs.IR", maxResults: 200, processPdfs: false });
      const p = atTheFake(pages.requests);
      const serviceMs = pages.seconds * 1000 - p.fakeMs;
      out.harvestOnly = {
        papers: 200,
        seconds: pages.seconds,
        requests: p.requests,
        fakeMs: p.fakeMs,
        serviceMsPerPaper: serviceMs / 200,
        pageGapMs: p.medianGapMs,
      };
      console.log(`pages only: 200 papers (${p.requests} pages) recorded in ${(pages.seconds * 1000).toFixed(0)} ms, request to COMPLETED`);
      console.log(
        `  per paper: service ${fmt(serviceMs / 200)} (gate hop, parse, D1 upsert, checkpoint, batch) beside the fake arXiv's ${fmt(p.fakeMs / 200)}`,
      );
      console.log(`  between pages: ${fmt(p.medianGapMs)} from the fake's answer to the next page request (parse and D1 of a page of 100, gate hop)`);
    } finally {
      await server.stop();
    }
  }

  // 2. D1 statements per page, and pacing at arXiv's interval.
  {
    const costs = [];
    const onLine = (line) => {
      const at = line.indexOf("COST {");
      if (at >= 0) costs.push(JSON.parse(line.slice(at + 5)));
    };
    const server = await startDev({
      port: await freePort(),
      persistTo: stateDir("paced"),
      vars: {
        ...arxivVars(DEFAULT_INTERVAL_MS),
        TRACE_COSTS: "true",
        // The batch row's progress writes (every 5 s while counts move) go with time, not pages: off here, so only pages vary.
        INDEX_PROGRESS_INTERVAL_MS: "600000",
      },
      onLine,
    });
    /** D1 statements logged since `from`, once none came for 2 s. */
    const d1Since = async (from) => {
      let seen = -1;
      while (seen !== costs.length) {
        seen = costs.length;
        await sleep(2000);
      }
      const d1 = costs.slice(from).filter((c) => c.c === "d1");
      return { statements: d1.length, reads: d1.filter((c) => c.kind === "read").length, writes: d1.filter((c) => c.kind === "write").length };
    };
    try {
      console.log(`\nARXIV_MIN_INTERVAL_MS=${DEFAULT_INTERVAL_MS} (the default), cost tracing on`);
      out.d1 = {};
      await control({ total: 331 });
      for (const n of [100, 200, 300]) {
        const from = costs.length;
        const run = await harvest(server, `bench-arxiv-d1-${n}`, { query: "cat:cs.IR", maxResults: n, processPdfs: false });
        out.d1[n] = { pages: run.batch.stats.pages, ...(await d1Since(from)) };
      }
      const [b, c] = [out.d1[200], out.d1[300]];
      const perPage = (c.statements - b.statements) / (c.pages - b.pages);
      out.d1.perPage = perPage;
      console.log(`D1 statements, pages of 100 entries, no PDFs:`);
      for (const n of [100, 200, 300]) {
        const d = out.d1[n];
        console.log(
          `  ${n} papers (${d.pages} page${d.pages > 1 ? "s" : ""}): ${d.statements} (${d.reads} reads, ${d.writes} writes), ${(d.statements / n).toFixed(3)} per paper`,
        );
      }
      console.log(`  each page of 100 costs ${perPage} (${(perPage / 100).toFixed(2)} per paper)`);
      console.log("  the rest is the batch's own row: written on creation and on each status change (once when a single page ends the harvest)");

      // Pages of 10 (the fake serves at most 10 whatever is asked): 3 pages, and 30 PDFs unless --quick.
      await control({ pageLimit: 10 });
      const paced = await harvest(server, "bench-arxiv-paced", { query: "cat:cs.IR", maxResults: 30, processPdfs: !QUICK });
      await control({ pageLimit: null });
      const f = atTheFake(paced.requests);
      const impliedMs = (f.requests - 1) * DEFAULT_INTERVAL_MS;
      const ratio = f.spanMs / impliedMs;
      out.paced = { requests: f.requests, impliedMs, measuredMs: f.spanMs, ratio, wallSeconds: paced.seconds, pdfs: !QUICK };
      console.log(`pacing: 3 pages of 10${QUICK ? "" : " and their 30 PDFs"}: ${f.requests} requests`);
      console.log(
        `  arXiv's rule (one every ${DEFAULT_INTERVAL_MS / 1000} s) implies ${(impliedMs / 1000).toFixed(1)} s from the first request to the last; measured at the fake ${(f.spanMs / 1000).toFixed(2)} s: ratio ${ratio.toFixed(3)} (target ≤ 1.10) ${ratio <= 1.1 ? "✓" : "✗"}`,
      );
      console.log(
        `  request to COMPLETED: ${paced.seconds.toFixed(1)} s (${f.requests} × ${DEFAULT_INTERVAL_MS / 1000} s = ${((f.requests * DEFAULT_INTERVAL_MS) / 1000).toFixed(0)} s; the first request waited for the previous run's interval)`,
      );
    } finally {
      await server.stop();
    }
  }
} finally {
  await fake.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
mkdirSync(join(ROOT, "bench/out"), { recursive: true });
writeFileSync(join(ROOT, "bench/out/arxiv.json"), JSON.stringify(out, null, 2));
