/** `edge-ingest batches list|get|items|cancel|retry|watch` and `edge-ingest import-urls <file>`. */
import { itemRetryable } from "../batches/lifecycle";
import { readFile } from "node:fs/promises";
import { Command, Option } from "commander";
import type { Batch, BatchItem, EdgeIngest } from "../client/node";
import { action, client, globals, positiveInt, requireProject } from "./context";
import { age, printJson, table } from "./print";

const STATUSES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];
const ITEM_STATUSES = [...STATUSES, "SKIPPED"];

/** One line of counts, e.g. `COMPLETED 412/415: 412 completed, 3 failed, 0 cancelled, 0 skipped, 0 running, 0 queued`. */
export function countsLine(b: Pick<Batch, "status" | "counts">): string {
  const c = b.counts;
  const ended = c.completed + c.failed + c.cancelled + c.skipped;
  return `${b.status} ${ended}/${c.total}: ${c.completed} completed, ${c.failed} failed, ${c.cancelled} cancelled, ${c.skipped} skipped, ${c.running} running, ${c.queued} queued`;
}

/**
 * The batch's summary, read back from the server (so an interrupted run can be inspected
 * later): its counts and each failed item with its reason.
 */
export async function batchSummary(api: EdgeIngest, projectId: string, batchId: string): Promise<{ text: string; batch: Batch }> {
  const batch = await api.batches.get(batchId, { projectId });
  const lines = [`Batch ${batch.id} ${countsLine(batch)}`];
  if (batch.counts.total === 0 && !batch.open) lines.push("The batch holds no items: nothing was ingested in it.");
  if (batch.counts.failed > 0) {
    lines.push("Failed:");
    let retryable = 0;
    for await (const item of api.batches.items(batchId, { projectId, status: "FAILED" })) {
      lines.push(`  ${item.source}: ${item.error?.message ?? "failed"}`);
      if (itemRetryable({ hasJob: item.jobId !== null, error: item.error })) retryable++;
    }
    if (retryable > 0) lines.push(`Retry the ${retryable} a retry can mend with: edge-ingest batches retry ${batch.id} -p ${projectId}`);
  }
  return { text: lines.join("\n"), batch };
}

const itemRow = (i: BatchItem) => [i.id, i.status, i.job ? `${i.job.stage}` : "", i.source, i.error ? `${i.error.code}: ${i.error.message}` : ""];

/** Follows a batch's events, printing its counts as they move; resolves with the finished batch. */
async function watch(api: EdgeIngest, projectId: string, id: string, json: boolean): Promise<Batch> {
  for await (const f of api.batches.events(id, { projectId })) {
    if (json) process.stdout.write(`${JSON.stringify(f)}\n`);
    else process.stderr.write(`${f.type.padEnd(16)} ${countsLine(f.batch)}\n`);
  }
  return api.batches.get(id, { projectId });
}

export function batchesCommand(): Command {
  const batches = new Command("batches").description("list, read, follow, cancel and retry batches");

  batches
    .command("list")
    .description("the project's batches, newest first")
    .addOption(new Option("--status <status>", "only this status").choices(STATUSES))
    .addOption(new Option("--kind <kind>", "only this kind").choices(["upload", "urls", "arxiv"]))
    .option("--limit <n>", "batches per page (1-100)", positiveInt("--limit"))
    .option("--json", "JSON")
    .action(
      action(async (o: { status?: string; kind?: string; limit?: number; json?: boolean }, cmd: Command) => {
        const g = globals(cmd);
        const page = await (await client(g)).batches.list({
          projectId: requireProject(g),
          status: o.status as Batch["status"],
          kind: o.kind as Batch["kind"],
          limit: o.limit,
        });
        if (o.json) return printJson(page);
        const rows = page.items.map((b) => [b.id, b.kind, b.status, `${b.counts.completed}/${b.counts.total}`, String(b.counts.failed), age(b.createdAt)]);
        process.stdout.write(`${table(["ID", "KIND", "STATUS", "DONE", "FAILED", "AGE"], rows)}\n`);
      }),
    );

  batches
    .command("get <batchId>")
    .description("one batch: its counts and failed items (--json: the batch as JSON)")
    .option("--json", "JSON")
    .action(
      action(async (id: string, o: { json?: boolean }, cmd: Command) => {
        const g = globals(cmd);
        const api = await client(g);
        const projectId = requireProject(g);
        if (o.json) return printJson(await api.batches.get(id, { projectId }));
        const { text, batch } = await batchSummary(api, projectId, id);
        process.stdout.write(`${text}\n`);
        if (batch.counts.failed > 0) process.exitCode = 1;
      }),
    );

  batches
    .command("items <batchId>")
    .description("the batch's items in order: status, stage, source, error")
    .addOption(new Option("--status <status>", "only this status").choices(ITEM_STATUSES))
    .option("--json", "one item per line as JSON")
    .action(
      action(async (id: string, o: { status?: string; json?: boolean }, cmd: Command) => {
        const g = globals(cmd);
        const api = await client(g);
        const rows: string[][] = [];
        for await (const item of api.batches.items(id, { projectId: requireProject(g), status: o.status as BatchItem["status"] })) {
          if (o.json) process.stdout.write(`${JSON.stringify(item)}\n`);
          else rows.push(itemRow(item));
        }
        if (!o.json) process.stdout.write(`${table(["ID", "STATUS", "STAGE", "SOURCE", "ERROR"], rows)}\n`);
      }),
    );

  for (const verb of ["cancel", "retry"] as const) {
    batches
      .command(`${verb} <batchId>`)
      .description(verb === "cancel" ? "cancel the batch and every unfinished item" : "run every failed item again (as a new job)")
      .action(
        action(async (id: string, _o: unknown, cmd: Command) => {
          const g = globals(cmd);
          const batch = await (await client(g)).batches[verb](id, { projectId: requireProject(g) });
          process.stdout.write(`${verb === "cancel" ? "cancelled" : "retrying"} ${batch.id}: ${countsLine(batch)}\n`);
        }),
      );
  }

  batches
    .command("watch <batchId>")
    .description("follow the batch until it ends, then print its summary")
    .option("--json", "the frames as JSON lines")
    .action(
      action(async (id: string, o: { json?: boolean }, cmd: Command) => {
        const g = globals(cmd);
        const api = await client(g);
        const projectId = requireProject(g);
        await watch(api, projectId, id, o.json ?? false);
        const { text, batch } = await batchSummary(api, projectId, id);
        process.stdout.write(`${text}\n`);
        if (batch.status !== "COMPLETED" || batch.counts.failed > 0) process.exitCode = 1;
      }),
    );

  return batches;
}

export function importUrlsCommand(): Command {
  return new Command("import-urls")
    .argument("<file>", "a file of URLs, one per line (blank lines and # comments ignored)")
    .description("fetch each URL into an item of a new `urls` batch, and follow it to its end")
    .option("--deep-scan", "run the ANALYZING stage")
    .option("--chunk-size <n>", "characters per chunk (100-8000)", positiveInt("--chunk-size"))
    .option("--no-wait", "print the batch id and return")
    .option("--json", "the batch as JSON at the end")
    .action(
      action(async (file: string, o: { deepScan?: boolean; chunkSize?: number; wait: boolean; json?: boolean }, cmd: Command) => {
        const g = globals(cmd);
        const api = await client(g);
        const projectId = requireProject(g);
        const urls = (await readFile(file, "utf8"))
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l && !l.startsWith("#"));
        if (urls.length === 0) throw new Error(`${file} lists no URLs`);
        const batch = await api.batches.createUrls(urls, { projectId, options: { isDeepScan: o.deepScan, chunkSize: o.chunkSize } });
        process.stderr.write(`Batch ${batch.id}: ${urls.length} URLs\n`);
        if (!o.wait) return void process.stdout.write(`${batch.id}\n`);
        await watch(api, projectId, batch.id, false);
        const summary = await batchSummary(api, projectId, batch.id);
        if (o.json) printJson(summary.batch);
        else process.stdout.write(`${summary.text}\n`);
        if (summary.batch.status !== "COMPLETED" || summary.batch.counts.failed > 0) process.exitCode = 1;
      }),
    );
}
