/**
 * `edge-ingest arxiv "<query>" [--id-list a,b] [--max N] [--no-pdfs]`: starts an arXiv
 * harvest (a batch of kind `arxiv`, DESIGN §14) and follows it to its end: its counters,
 * the arXiv gate's wait and each paper as its item ends, then a summary read back from
 * the server. Exit 0 when the harvest completed with every item; 1 when it failed or any
 * item did; 130 on Ctrl-C (the harvest goes on on the server).
 */
import { Command } from "commander";
import { type ArxivGateStatus, type Batch, type BatchItem, type EdgeIngest, harvestStats, isTerminal, ranQuery } from "../client/node";
import { sleep } from "../client/transport";
import { type HarvestDisplay, LineHarvestDisplay, LiveHarvestDisplay } from "./arxiv-display";
import { action, client, globals, positiveInt, requireProject, UsageError } from "./context";
import { printJson } from "./print";

interface ArxivOptions {
  idList?: string;
  max?: number;
  from?: string;
  to?: string;
  pdfs: boolean;
  chunkSize?: number;
  deepScan?: boolean;
  wait: boolean;
  json?: boolean;
}

const ended = (b: Batch) => b.counts.completed + b.counts.failed + b.counts.cancelled + b.counts.skipped;
const isEnded = (i: BatchItem) => i.status !== "QUEUED" && i.status !== "RUNNING";

/** Re-reads the item list at most this often while items end. */
const ITEM_SCAN_MS = 2_000;

/**
 * Follows a harvest until it ends: the batch and the gate's wait every `pollMs`, and the
 * items list whenever more items have ended (each ended item is shown once).
 */
export async function followHarvest(
  api: EdgeIngest,
  projectId: string,
  batchId: string,
  display: HarvestDisplay,
  signal: AbortSignal,
  pollMs = 1_000,
): Promise<Batch> {
  const shown = new Set<string>();
  let scannedAt = 0;
  let scannedEnded = 0;
  for (;;) {
    const batch = await api.batches.get(batchId, { projectId, signal });
    const done = isTerminal(batch.status);
    // Pages and PDFs both wait at the gate, so its wait matters until the batch ends.
    const gate: ArxivGateStatus | null = done ? null : await api.arxiv.gate({ signal }).catch(() => null);
    display.progress(batch, gate);
    if (ended(batch) !== scannedEnded && (done || Date.now() - scannedAt >= ITEM_SCAN_MS)) {
      scannedAt = Date.now();
      scannedEnded = ended(batch);
      for await (const item of api.batches.items(batchId, { projectId })) {
        if (!isEnded(item) || shown.has(item.id)) continue;
        shown.add(item.id);
        display.item(item);
      }
    }
    if (done) return batch;
    await sleep(pollMs, signal);
  }
}

/** The harvest's summary, read back from the server: counters, items, failed items and arXiv's own errors. */
export async function harvestSummary(api: EdgeIngest, projectId: string, batchId: string): Promise<{ text: string; batch: Batch }> {
  const batch = await api.batches.get(batchId, { projectId });
  const s = harvestStats(batch);
  const c = batch.counts;
  const source = batch.source as { query?: string | null; idList?: string[] | null };
  const ran = ranQuery(s);
  const asked = [source.query, source.idList?.length ? `ids ${source.idList.join(",")}` : null].filter(Boolean).join(" + ");
  const lines = [
    `Harvest ${batch.id} ${batch.status}`,
    `  query:  ${asked}${ran && ran !== source.query ? ` (arXiv ran: ${ran})` : ""}`,
    `  papers: ${s.papers_fetched} fetched, ${s.papers_created} created, ${s.papers_updated} updated, ${s.papers_unchanged} unchanged, in ${s.pages} page${s.pages === 1 ? "" : "s"}`,
    `  pdfs:   ${s.pdfs_downloaded} downloaded, ${s.pdfs_processed} processed`,
    `  items:  ${ended(batch)}/${c.total} ended: ${c.completed} completed, ${c.failed} failed, ${c.cancelled} cancelled, ${c.skipped} skipped`,
  ];
  // The batch's own errors (arXiv refused the query, pages stayed empty) are not any item's.
  const own = batch.errors.filter((e) => e.item === batch.id || e.stage === "BATCH");
  for (const e of own) lines.push(`Error: ${e.message}`);
  if (c.failed > 0) {
    lines.push("Failed:");
    for await (const item of api.batches.items(batchId, { projectId, status: "FAILED" })) lines.push(`  ${item.source}: ${item.error?.message ?? "failed"}`);
    lines.push(`Retry them with: edge-ingest batches retry ${batch.id} -p ${projectId}`);
  }
  return { text: lines.join("\n"), batch };
}

export function arxivCommand(): Command {
  return new Command("arxiv")
    .argument("[query]", 'an arXiv search query, e.g. "cat:cs.IR AND ti:retrieval" (arXiv\'s query syntax)')
    .description("harvest arXiv: record the papers a query (or an id list) finds, download and ingest their PDFs, with live progress and a summary")
    .option("--id-list <ids>", "comma-separated arXiv ids (2104.12255, 2104.12255v2, hep-ex/0406020v1); with a query, arXiv combines both")
    .option("--max <n>", "most papers to fetch (default: the service's, 2000)", positiveInt("--max"))
    .option("--from <date>", "submitted on or after YYYY-MM-DD")
    .option("--to <date>", "submitted on or before YYYY-MM-DD")
    .option("--no-pdfs", "record the papers' metadata only: no PDF is downloaded or ingested")
    .option("--chunk-size <n>", "characters per chunk (100-8000)", positiveInt("--chunk-size"))
    .option("--deep-scan", "run the ANALYZING stage")
    .option("--no-wait", "print the harvest's id and return")
    .option("--json", "one JSON line per ended paper, and the batch as JSON at the end")
    .addHelpText(
      "after",
      `
Progress: the counters (papers fetched/created/updated/unchanged, PDFs downloaded/processed,
errors), the wait before the service's next arXiv request (arXiv allows one every 3 s for
all clients together) and each paper as its item ends; then a summary read from the server.
Without a terminal: plain lines (counters on stderr, one line per paper on stdout).
Exit codes: 0 completed, every item too; 1 the harvest failed (arXiv's message is shown) or
an item did; 2 a usage error; 130 Ctrl-C (the harvest goes on: edge-ingest batches watch <id>).

Examples:
  edge-ingest arxiv "cat:cs.IR AND ti:retrieval" --max 200 -p demo
  edge-ingest arxiv --id-list 2104.12255,hep-ex/0406020v1 -p demo --no-pdfs`,
    )
    .action(
      action(async (query: string | undefined, o: ArxivOptions, cmd: Command) => {
        const g = globals(cmd);
        const projectId = requireProject(g);
        const idList = o.idList
          ?.split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        if (!query?.trim() && !idList?.length) throw new UsageError('Give a query ("cat:cs.IR AND ti:retrieval"), --id-list, or both');
        const live = !o.json && process.stdout.isTTY === true && process.stderr.isTTY === true;
        let display: HarvestDisplay | null = null;
        const api = await client(
          g,
          (n) => display?.waiting(n) ?? process.stderr.write(`${n.detail}; retry ${n.attempt} in ${(n.delayMs / 1000).toFixed(1)} s\n`),
        );
        const batch = await api.arxiv.harvest(
          {
            query: query?.trim() || undefined,
            idList,
            maxResults: o.max,
            submittedFrom: o.from,
            submittedTo: o.to,
            processPdfs: o.pdfs,
            options: { chunkSize: o.chunkSize, isDeepScan: o.deepScan },
          },
          { projectId },
        );
        process.stderr.write(`Harvest ${batch.id}\n`);
        if (!o.wait) return void process.stdout.write(`${batch.id}\n`);

        const stop = new AbortController();
        process.once("SIGINT", () => stop.abort());
        display = live ? new LiveHarvestDisplay(query?.trim() || `${idList!.length} ids`) : new LineHarvestDisplay(o.json ?? false);
        try {
          await followHarvest(api, projectId, batch.id, display, stop.signal);
        } catch (err) {
          if (!stop.signal.aborted) throw err;
          display.stop();
          process.stderr.write(`Stopped following; the harvest goes on. Follow it with: edge-ingest batches watch ${batch.id} -p ${projectId}\n`);
          process.exit(130);
        }
        display.stop();
        const summary = await harvestSummary(api, projectId, batch.id);
        if (o.json) printJson(summary.batch);
        else process.stdout.write(`${summary.text}\n`);
        if (summary.batch.status !== "COMPLETED" || summary.batch.counts.failed > 0) process.exitCode = 1;
      }),
    );
}
