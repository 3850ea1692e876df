/**
 * `npm run crash-recovery -- --scenario harvest`: an arXiv harvest killed mid-way.
 *
 *  1. starts the fake arXiv (scripts/fake-arxiv.mjs) with pages of PAGE entries, and
 *     `wrangler dev` pointed at it (ARXIV_API_URL, ARXIV_PDF_BASE, the local-dev switch,
 *     ARXIV_MIN_INTERVAL_MS small);
 *  2. a harvest (kind `arxiv`) of PAGES pages; once at least one page is in and more are
 *     to come, SIGKILLs workerd and the wrangler process group, and restarts on the same
 *     --persist-to;
 *  3. waits for the batch to end and checks: the batch checks every batch passes
 *     (scripts/lib/batch-checks.mjs); the harvest resumed at the next page (no page
 *     `start` asked after the restart is below one asked before it, no page asked more
 *     than twice, every page asked); one item, one job, one `arxiv_papers` row and one
 *     document per paper; counters that add up.
 */
import { startFakeArxiv } from "../fake-arxiv.mjs";
import { startDev } from "./dev-server.mjs";
import { eachD1 } from "./local-state.mjs";
import { batchItems, batchPath, checkBatch, createBatch, repeated, settledJobs, TERMINAL, waitForBatch } from "./batch-checks.mjs";
import { getJson } from "../../bench/lib/jobs.mjs";

const PROJECT = "crash-harvest";
const FINISH_WITHIN_MS = 300_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function harvestScenario({ quick, port, persistTo, t, check, log, result, vars }) {
  const PAGE = quick ? 8 : 20;
  const PAGES = 3;
  const fake = await startFakeArxiv();
  await fetch(`${fake.url}/__control`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ pageLimit: PAGE }) });
  const env = {
    ...vars,
    WEBHOOK_ALLOW_HTTP_LOCALHOST: "true",
    ARXIV_API_URL: `${fake.url}/api/query`,
    ARXIV_PDF_BASE: `${fake.url}/pdf/`,
    ARXIV_MIN_INTERVAL_MS: "150",
  };
  let dev = null;
  try {
    dev = await startDev({ port, persistTo, vars: env });
    log(`wrangler dev #1 up on ${dev.url}; fake arXiv on ${fake.url} (${PAGE} entries a page)`);
    const batch = await createBatch(dev.url, t, PROJECT, { kind: "arxiv", query: "crash recovery", maxResults: PAGE * PAGES });

    let atKill;
    for (;;) {
      const b = await getJson(dev.url, t, batchPath(PROJECT, batch.id));
      atKill = { status: b.status, pages: b.stats.pages ?? 0, counts: b.counts };
      if (TERMINAL.includes(b.status) || atKill.pages >= 1) break;
      await sleep(20);
    }
    const killedAt = Date.now();
    const pids = await dev.kill();
    dev = null;
    result.atKill = atKill;
    log(`killed ${pids.length} processes at ${JSON.stringify(atKill)}`);
    check(
      "harvest: unfinished at the kill",
      !TERMINAL.includes(atKill.status) && atKill.pages < PAGES,
      `${atKill.status}, ${atKill.pages} of ${PAGES} pages read, ${atKill.counts.completed} of ${atKill.counts.total} items completed`,
    );

    const restartAt = Date.now();
    dev = await startDev({ port, persistTo, vars: env });
    log("wrangler dev #2 up on the same persist dir; waiting for the harvest to end");
    const after = await waitForBatch(dev.url, t, PROJECT, batch.id, FINISH_WITHIN_MS);
    result.finishedMs = Date.now() - restartAt;
    log(`ended ${(result.finishedMs / 1000).toFixed(1)} s after the restart: ${after?.status} ${JSON.stringify(after?.counts)}`);

    const items = await batchItems(dev.url, t, PROJECT, batch.id);
    const jobs = await settledJobs(dev.url, t, PROJECT, batch.id, items.filter((i) => i.jobId).length);
    checkBatch(check, "harvest", after, items, jobs);
    const papers = PAGE * PAGES;
    const refsTwice = repeated(items.map((i) => i.source));
    const sourceIdsTwice = repeated(jobs.map((j) => j.sourceId));
    check(
      "harvest: one item and one job per paper",
      items.length === papers && refsTwice.length === 0 && jobs.length === papers && sourceIdsTwice.length === 0,
      `${items.length} items, ${jobs.length} jobs for ${papers} papers; ${refsTwice.length} papers with two items, ${sourceIdsTwice.length} with two jobs`,
    );
    check("harvest: every paper completed", after?.counts?.completed === papers, `${after?.counts?.completed} of ${papers}`);

    // The pages asked of the fake, before and after the kill.
    const requests = await (await fetch(`${fake.url}/__requests`)).json();
    const starts = (from, to) =>
      requests.filter((r) => r.path === "/api/query" && r.at >= from && r.at < to).map((r) => Number(new URLSearchParams(r.search).get("start") ?? 0));
    const before = starts(0, killedAt);
    const afterStarts = starts(killedAt, Infinity);
    const all = [...before, ...afterStarts];
    const expected = Array.from({ length: PAGES }, (_, i) => i * PAGE);
    const askedTooOften = expected.filter((s) => all.filter((x) => x === s).length > 2);
    check(
      "harvest: resumed at the next page",
      afterStarts.length > 0 && Math.min(...afterStarts) >= Math.max(...before) && askedTooOften.length === 0 && expected.every((s) => all.includes(s)),
      `starts before the kill [${before.join(", ")}], after [${afterStarts.join(", ")}]`,
    );
    const pdfs = requests.filter((r) => r.path.startsWith("/pdf/")).map((r) => r.path);
    result.pages = { before, after: afterStarts };
    result.pdfRequests = { total: pdfs.length, repeated: repeated(pdfs).length };

    // The papers in D1 (read from disk), and the documents they point at.
    const rows = eachD1(persistTo, (db) =>
      db.prepare("SELECT name FROM sqlite_master WHERE name = 'arxiv_papers'").get()
        ? db.prepare("SELECT paper_id, version, document_id FROM arxiv_papers WHERE project_id = ?").all(PROJECT)
        : [],
    ).flat();
    const paperTwice = repeated(rows.map((r) => r.paper_id));
    const documents = rows.map((r) => r.document_id).filter(Boolean);
    check(
      "harvest: one arxiv_papers row and one document per paper",
      rows.length === papers && paperTwice.length === 0 && documents.length === papers && repeated(documents).length === 0,
      `${rows.length} rows (${paperTwice.length} repeated), ${documents.length} pointing at a document`,
    );
    const docs = await getJson(dev.url, t, `/api/projects/${PROJECT}/documents?limit=1`);
    check("harvest: the project holds one document per paper", docs.total === papers, `${docs.total} documents`);
    const s = after?.stats ?? {};
    check(
      "harvest: counters add up",
      s.papers_fetched === papers && s.papers_created === papers && s.pdfs_downloaded === papers && s.pdfs_processed === papers && s.pages === PAGES,
      `fetched ${s.papers_fetched}, created ${s.papers_created}, PDFs downloaded ${s.pdfs_downloaded}, processed ${s.pdfs_processed}, pages ${s.pages}`,
    );
    result.batch = { id: batch.id, status: after?.status, counts: after?.counts, stats: after?.stats };
  } finally {
    if (dev) await dev.stop();
    await fake.close();
  }
  return `harvest crash (${result.batch?.counts?.total ?? "?"} papers ${result.batch?.status ?? "?"}, killed after ${result.atKill?.pages ?? "?"} of 3 pages; page starts before [${result.pages?.before?.join(", ") ?? ""}] after [${result.pages?.after?.join(", ") ?? ""}])`;
}
