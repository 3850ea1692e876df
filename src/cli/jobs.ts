/** `edge-ingest jobs list|get|cancel|delete|watch`. */
import { Command, Option } from "commander";
import { JOB_STAGES, JOB_STATUSES, type Job } from "../client/node";
import { action, client, globals, positiveInt, requireProject } from "./context";
import { age, pct, printJson, table } from "./print";

const jobRow = (j: Pick<Job, "id" | "status" | "stage" | "progress" | "sourcePath" | "createdAt">) => [
  j.id,
  j.status,
  j.stage,
  pct(j.progress),
  age(j.createdAt),
  j.sourcePath,
];
const JOB_HEADER = ["ID", "STATUS", "STAGE", "PROGRESS", "AGE", "FILE"];

export function jobsCommand(): Command {
  const jobs = new Command("jobs").description("list, read, cancel, delete and watch jobs");

  jobs
    .command("list")
    .description("the project's jobs, newest first")
    .addOption(new Option("--status <status>", "only this status").choices(JOB_STATUSES))
    .addOption(new Option("--stage <stage>", "only this stage").choices(JOB_STAGES))
    .option("--source-id <id>", "only this sourceId")
    .option("--limit <n>", "jobs per page (1-100)", positiveInt("--limit"))
    .option("--all", "every page, not only the first")
    .option("--json", "JSON (one job per line with --all)")
    .action(
      action(async (o: { status?: string; stage?: string; sourceId?: string; limit?: number; all?: boolean; json?: boolean }, cmd: Command) => {
        const g = globals(cmd);
        const api = await client(g);
        const filters = {
          projectId: requireProject(g),
          status: o.status as Job["status"],
          stage: o.stage as Job["stage"],
          sourceId: o.sourceId,
          limit: o.limit,
        };
        if (o.all) {
          const rows: string[][] = [];
          for await (const j of api.jobs.iterate(filters)) {
            if (o.json) process.stdout.write(`${JSON.stringify(j)}\n`);
            else rows.push(jobRow(j));
          }
          if (!o.json) process.stdout.write(`${table(JOB_HEADER, rows)}\n`);
          return;
        }
        const page = await api.jobs.list(filters);
        if (o.json) return printJson(page);
        process.stdout.write(`${table(JOB_HEADER, page.items.map(jobRow))}\n`);
        process.stdout.write(`${page.items.length} of ${page.total}${page.nextCursor ? " (more: --all)" : ""}\n`);
      }),
    );

  jobs
    .command("get <jobId>")
    .description("one job, as JSON")
    .action(
      action(async (id: string, _o: unknown, cmd: Command) => {
        const g = globals(cmd);
        printJson(await (await client(g)).jobs.get(id, { projectId: requireProject(g) }));
      }),
    );

  jobs
    .command("cancel <jobId>")
    .description("cancel a QUEUED or RUNNING job")
    .action(
      action(async (id: string, _o: unknown, cmd: Command) => {
        const g = globals(cmd);
        const job = await (await client(g)).jobs.cancel(id, { projectId: requireProject(g) });
        process.stdout.write(`cancelled ${job.id} (stage ${job.stage})\n`);
      }),
    );

  jobs
    .command("delete <jobId>")
    .description("delete a finished job (its document stays)")
    .action(
      action(async (id: string, _o: unknown, cmd: Command) => {
        const g = globals(cmd);
        await (await client(g)).jobs.delete(id, { projectId: requireProject(g) });
        process.stdout.write(`deleted ${id}\n`);
      }),
    );

  jobs
    .command("watch <jobId>")
    .description("follow one job's events until it ends")
    .option("--after <seq>", "replay the events after this seq first", positiveInt("--after"))
    .option("--json", "the frames as JSON lines")
    .action(
      action(async (id: string, o: { after?: number; json?: boolean }, cmd: Command) => {
        const g = globals(cmd);
        const api = await client(g);
        let last: string | undefined;
        for await (const f of api.jobs.events(id, { projectId: requireProject(g), after: o.after })) {
          last = f.job.status;
          if (o.json) process.stdout.write(`${JSON.stringify(f)}\n`);
          else process.stdout.write(`#${f.seq} ${f.type.padEnd(14)} ${f.job.status.padEnd(9)} ${f.job.stage.padEnd(10)} ${pct(f.job.progress)}\n`);
        }
        if (last === "FAILED" || last === "CANCELLED") process.exitCode = 1;
      }),
    );

  return jobs;
}
