/**
 * `edge-ingest`: the command-line client, built on the SDK (`edge-ingest/client`).
 * Global options come from flags, else the environment, else defaults.
 */
import { Command, Option } from "commander";
import { arxivCommand } from "./arxiv";
import { batchesCommand, importUrlsCommand } from "./batches";
import { action, client, DEFAULT_URL, globals, nonNegativeInt, positiveInt, requireProject } from "./context";
import { docsCommand } from "./docs";
import { jobsCommand } from "./jobs";
import { tokenCommand } from "./token";
import { upload } from "./upload/command";
import { watchCommand } from "./watch";

// Output piped into `head` closes early: end quietly instead of an EPIPE stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
}

const program = new Command("edge-ingest")
  .description("Upload files to edge-ingest, harvest arXiv, follow their jobs, and read the documents they produce.")
  .addOption(new Option("--url <url>", `the API (env EDGE_INGEST_URL, default ${DEFAULT_URL})`))
  .addOption(new Option("--token <jwt>", "bearer token (env EDGE_INGEST_TOKEN; against localhost, a dev token from .dev.vars)"))
  .addOption(new Option("-p, --project <id>", "the project (env EDGE_INGEST_PROJECT)"))
  .showHelpAfterError();

program
  .command("upload <paths...>")
  .description("upload files, directories (recursively) and globs into a new upload batch (its id is printed); follow every job to its end")
  .option("--deep-scan", "run the ANALYZING stage")
  .option("--chunk-size <n>", "characters per chunk (100-8000)", positiveInt("--chunk-size"))
  .option("--chunk-overlap <n>", "characters shared by neighbouring chunks", nonNegativeInt("--chunk-overlap"))
  .option("--source-id <id>", "the jobs' sourceId")
  .option("--concurrency <n>", "uploads at once", positiveInt("--concurrency"), 4)
  .option("--reprocess", "new jobs even for files already ingested with the same options")
  .option("--no-wait", "return once uploaded; do not follow the jobs")
  .option("--batch <id>", "add to this open upload batch (to finish an interrupted run) instead of opening one")
  .option("--no-batch", "loose jobs: no batch")
  .option("--json", "one JSON line per job, no bars (also when stdout is not a terminal)")
  .action(
    action(
      async (
        paths: string[],
        o: {
          deepScan?: boolean;
          chunkSize?: number;
          chunkOverlap?: number;
          sourceId?: string;
          concurrency: number;
          wait: boolean;
          json?: boolean;
          reprocess?: boolean;
          batch?: string;
        },
        cmd: Command,
      ) => {
        const g = globals(cmd);
        const projectId = requireProject(g);
        const code = await upload(paths, { ...o, projectId, json: o.json ?? false }, (onRetry) => client(g, onRetry));
        process.exit(code);
      },
    ),
  );

program.addCommand(jobsCommand());
program.addCommand(batchesCommand());
program.addCommand(importUrlsCommand());
program.addCommand(arxivCommand());
program.addCommand(watchCommand());
program.addCommand(docsCommand());
program.addCommand(tokenCommand());

await program.parseAsync();
