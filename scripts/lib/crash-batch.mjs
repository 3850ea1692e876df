/**
 * `npm run crash-recovery -- --scenario batch`: two batches killed mid-way.
 *
 *  1. starts `wrangler dev` (own --persist-to dir, BATCH_CONCURRENCY 2, the local-dev
 *     switch on) and a local plain-HTTP server;
 *  2. a `urls` batch of URLS URLs on the local server (slow answers, a 404, a corrupt PDF
 *     and one URL twice), and an `upload` batch to which FILES Markdown and text files of
 *     128–512 KB are being added, each with its own `sourceId` and Idempotency-Key;
 *  3. once half the files have been answered, SIGKILLs workerd and the wrangler process
 *     group (uploads in flight fail), and restarts on the same --persist-to;
 *  4. finishes the client's run as `edge-ingest upload --batch <id>` would: every file
 *     again with the same keys, a corrupt PDF, an empty file (refused before it becomes
 *     an item), then the close;
 *  5. waits for both batches to end and checks (scripts/lib/batch-checks.mjs): the batch
 *     ended, every item ended, no item, job or `sourceId` twice, counts that add up and
 *     equal the items listed, and each file's expected end.
 */
import { createServer } from "node:http";
import { startDev, upload } from "./dev-server.mjs";
import { batchItems, batchPath, checkBatch, createBatch, repeated, settledJobs, TERMINAL, waitForBatch } from "./batch-checks.mjs";
import { markdown } from "../../bench/lib/corpus.mjs";
import { getJson } from "../../bench/lib/jobs.mjs";
import { buildCorruptPdf } from "../../test/fixtures/pdf.ts";

const PROJECT = "crash-batch";
const FINISH_WITHIN_MS = 240_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A local source of URL items: `/doc-<i>.md` after `delay` ms, `/broken.pdf`, anything else 404. */
function startSource() {
  const requests = [];
  const server = createServer((req, res) => {
    requests.push(req.url);
    const m = /^\/doc-(\d+)\.md$/.exec(req.url ?? "");
    if (m) {
      const i = Number(m[1]);
      setTimeout(
        () => {
          res.writeHead(200, { "Content-Type": "text/markdown" });
          res.end(`# Remote document ${i}\n\n${new TextDecoder().decode(markdown(16_384 + i * 1024, 500 + i))}`);
        },
        300 + (i % 5) * 200,
      );
      return;
    }
    if (req.url === "/broken.pdf") {
      res.writeHead(200, { "Content-Type": "application/pdf" });
      return res.end(Buffer.from(buildCorruptPdf()));
    }
    res.writeHead(404).end("not here");
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        base: `http://127.0.0.1:${server.address().port}`,
        requests,
        close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
      }),
    ),
  );
}

export async function batchScenario({ quick, port, persistTo, t, check, log, result, vars }) {
  const FILES = quick ? 24 : 60;
  const URLS = quick ? 10 : 24;
  const env = { ...vars, BATCH_CONCURRENCY: "2", WEBHOOK_ALLOW_HTTP_LOCALHOST: "true" };
  const source = await startSource();
  let dev = null;
  try {
    dev = await startDev({ port, persistTo, vars: env });
    log(`wrangler dev #1 up on ${dev.url}; source on ${source.base}`);

    // The urls batch first: slow documents, a 404, a corrupt PDF, and one URL twice.
    const urls = Array.from({ length: URLS - 3 }, (_, i) => `${source.base}/doc-${i}.md`);
    urls.push(`${source.base}/missing.md`, `${source.base}/broken.pdf`, urls[0]);
    const urlBatch = await createBatch(dev.url, t, PROJECT, { kind: "urls", urls });

    // The upload batch: good files with their own sourceIds, sent four at a time, each
    // with an Idempotency-Key of its own, as the CLI does.
    const batch = await createBatch(dev.url, t, PROJECT, { kind: "upload" });
    log(`upload batch ${batch.id} (${FILES - 1} files), urls batch ${urlBatch.id} (${urls.length} URLs)`);
    const good = Array.from({ length: FILES - 2 }, (_, i) => `src-${i}`);
    const sent = new Set();
    const send = (url, sourceId) => {
      const i = Number(sourceId.slice(4));
      const type = i % 3 === 2 ? "text/plain" : "text/markdown";
      const bytes = markdown((128 + ((i * 397) % 384)) << 10, 900 + i);
      return fetch(
        `${url}/api/projects/${PROJECT}/ingest/jobs?${new URLSearchParams({ filename: `file-${i}.${type === "text/plain" ? "txt" : "md"}`, batchId: batch.id, sourceId })}`,
        {
          method: "POST",
          headers: { Authorization: `Bearer ${t}`, "Content-Type": type, "Idempotency-Key": `crash-${batch.id}-${sourceId}` },
          body: bytes,
        },
      ).then(
        (res) => {
          if (res.status === 201 || res.status === 200) sent.add(sourceId);
        },
        () => {},
      );
    };
    // The kill lands while files are still being added: half of them have answered.
    const firstUrl = dev.url;
    const uploading = (async () => {
      for (let from = 0; from < good.length && dev; from += 4) await Promise.all(good.slice(from, from + 4).map((id) => send(firstUrl, id)));
    })();
    let atKill;
    for (;;) {
      const [a, b] = await Promise.all([getJson(dev.url, t, batchPath(PROJECT, batch.id)), getJson(dev.url, t, batchPath(PROJECT, urlBatch.id))]);
      atKill = { filesAnswered: sent.size, upload: { status: a.status, counts: a.counts }, urls: { status: b.status, counts: b.counts } };
      if (sent.size >= good.length / 2 || TERMINAL.includes(a.status)) break;
      await sleep(50);
    }
    const pids = await dev.kill();
    dev = null;
    await uploading;
    result.atKill = atKill;
    log(`killed ${pids.length} processes at: ${JSON.stringify(atKill)}`);
    check(
      "batch: batches unfinished at the kill",
      !TERMINAL.includes(atKill.upload.status) && !TERMINAL.includes(atKill.urls.status),
      `upload ${atKill.upload.status} with ${atKill.filesAnswered} of ${good.length} files answered (${atKill.upload.counts.completed}/${atKill.upload.counts.total} completed), urls ${atKill.urls.status} (${atKill.urls.counts.completed + atKill.urls.counts.failed}/${atKill.urls.counts.total} ended)`,
    );

    const restartAt = Date.now();
    dev = await startDev({ port, persistTo, vars: env });
    log("wrangler dev #2 up on the same persist dir; the client sends what was not answered (same keys) and closes");
    // What the CLI does with `--batch <id>`: every file again, the same Idempotency-Keys, so
    // a file whose answer the crash lost is not added twice.
    result.resent = good.length - sent.size;
    for (let from = 0; from < good.length; from += 4) await Promise.all(good.slice(from, from + 4).map((id) => send(dev.url, id)));
    await upload(dev.url, t, PROJECT, buildCorruptPdf(), {
      filename: "corrupt.pdf",
      type: "application/pdf",
      query: { batchId: batch.id, sourceId: "src-corrupt" },
    });
    const empty = await fetch(
      `${dev.url}/api/projects/${PROJECT}/ingest/jobs?${new URLSearchParams({ filename: "empty.txt", batchId: batch.id, sourceId: "src-empty" })}`,
      {
        method: "POST",
        headers: { Authorization: `Bearer ${t}`, "Content-Type": "text/plain" },
        body: new Uint8Array(0),
      },
    );
    check("batch: the empty file is refused before it becomes an item", empty.status === 400, `HTTP ${empty.status}`);
    const closed = await fetch(`${dev.url}${batchPath(PROJECT, batch.id)}/close`, { method: "POST", headers: { Authorization: `Bearer ${t}` } });
    if (!closed.ok) throw new Error(`close failed: ${closed.status} ${await closed.text()}`);
    const [after, urlAfter] = await Promise.all([
      waitForBatch(dev.url, t, PROJECT, batch.id, FINISH_WITHIN_MS),
      waitForBatch(dev.url, t, PROJECT, urlBatch.id, FINISH_WITHIN_MS),
    ]);
    result.finishedMs = Date.now() - restartAt;
    log(`ended ${(result.finishedMs / 1000).toFixed(1)} s after the restart: upload ${after?.status}, urls ${urlAfter?.status}`);

    // The upload batch.
    const items = await batchItems(dev.url, t, PROJECT, batch.id);
    const jobs = await settledJobs(dev.url, t, PROJECT, batch.id, items.filter((i) => i.jobId).length);
    const states = checkBatch(check, "upload batch", after, items, jobs);
    const sourceIds = jobs.map((j) => j.sourceId);
    const twice = repeated(sourceIds);
    const missing = [...good, "src-corrupt"].filter((s) => !sourceIds.includes(s));
    check(
      "upload batch: every file once (by sourceId)",
      twice.length === 0 && missing.length === 0 && items.length === FILES - 1,
      `${items.length} items for ${FILES - 1} files; ${twice.length} sourceIds twice, ${missing.length} missing`,
    );
    const failedIds = jobs.filter((j) => j.status === "FAILED").map((j) => j.sourceId);
    check(
      "upload batch: good files completed, the corrupt PDF failed",
      states.COMPLETED === good.length && failedIds.length === 1 && failedIds[0] === "src-corrupt",
      `${states.COMPLETED} completed of ${good.length} good; failed: ${failedIds.join(", ") || "none"}`,
    );

    // The urls batch.
    const urlItems = await batchItems(dev.url, t, PROJECT, urlBatch.id);
    const urlJobs = await settledJobs(dev.url, t, PROJECT, urlBatch.id, urlItems.filter((i) => i.jobId).length);
    const urlStates = checkBatch(check, "urls batch", urlAfter, urlItems, urlJobs);
    const fetchedTwice = repeated(urlJobs.map((j) => j.sourcePath));
    check(
      "urls batch: one item per URL, one job per fetched URL",
      urlItems.length === urls.length && fetchedTwice.length === 0,
      `${urlItems.length} items for ${urls.length} URLs; ${fetchedTwice.length} URLs with two jobs`,
    );
    check(
      "urls batch: documents completed, the 404 and the corrupt PDF failed, the repeat skipped",
      urlStates.COMPLETED === URLS - 3 && urlStates.FAILED === 2 && urlStates.SKIPPED === 1,
      `${urlStates.COMPLETED} completed, ${urlStates.FAILED} failed, ${urlStates.SKIPPED} skipped`,
    );
    result.batches = {
      upload: { id: batch.id, status: after?.status, counts: after?.counts },
      urls: { id: urlBatch.id, status: urlAfter?.status, counts: urlAfter?.counts, sourceRequests: source.requests.length },
    };
  } finally {
    if (dev) await dev.stop();
    await source.close();
  }
  const u = result.batches?.upload;
  return `batch crash (upload batch ${u?.counts?.total ?? "?"} items ${u?.status ?? "?"}, urls batch ${result.batches?.urls?.counts?.total ?? "?"} items ${result.batches?.urls?.status ?? "?"}, killed with upload ${result.atKill?.upload?.counts?.completed ?? "?"} completed)`;
}
