/** `edge-ingest watch -p <project>`: a live table of the project's jobs (one WebSocket). */
import { Command } from "commander";
import type { EdgeIngest, JobEvent } from "../client/node";
import { action, client, globals, requireProject } from "./context";
import { pct, table } from "./print";

interface Row {
  id: string;
  status: string;
  stage: string;
  progress: number;
  file: string;
  at: number;
}

export function watchCommand(): Command {
  return new Command("watch")
    .description("a live table of every job of the project (Ctrl-C to stop)")
    .option("--json", "the frames as JSON lines instead of a table")
    .option("--rows <n>", "rows shown", (v) => Number(v), 25)
    .action(
      action(async (o: { json?: boolean; rows: number }, cmd: Command) => {
        const g = globals(cmd);
        const projectId = requireProject(g);
        const api = await client(g);
        const stop = new AbortController();
        process.once("SIGINT", () => stop.abort());
        const live = !o.json && process.stdout.isTTY === true;
        const rows = new Map<string, Row>();
        let dirty = true;
        const timer = live ? setInterval(() => dirty && (render(projectId, rows, o.rows), (dirty = false)), 250) : undefined;
        try {
          for await (const frame of api.projects.events({ projectId, signal: stop.signal })) {
            if (!live) {
              process.stdout.write(`${JSON.stringify(frame)}\n`);
              continue;
            }
            dirty = true;
            if (frame.type === "project.snapshot") {
              // A snapshot lists job summaries without file names: the rows shown are looked up.
              for (const j of frame.jobs) rows.set(j.id, { ...j, file: rows.get(j.id)?.file ?? "…", at: Date.parse(j.updatedAt) });
              const shown = [...frame.jobs].sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt)).slice(0, o.rows);
              for (const j of shown) if (rows.get(j.id)?.file === "…") void nameOf(api, projectId, j.id, rows);
            } else if (frame.type === "job.deleted") {
              rows.delete(frame.jobId);
            } else if (frame.type !== "stream.gap" && "jobId" in frame) {
              const e = frame as JobEvent;
              const prev = rows.get(e.jobId);
              rows.set(e.jobId, { ...e.job, file: prev?.file ?? "…", at: Date.parse(e.at) });
              if (!prev) void nameOf(api, projectId, e.jobId, rows);
            }
          }
        } finally {
          clearInterval(timer);
        }
        process.exitCode = 130;
      }),
    );
}

async function nameOf(api: EdgeIngest, projectId: string, id: string, rows: Map<string, Row>): Promise<void> {
  const job = await api.jobs.get(id, { projectId }).catch(() => null);
  const row = rows.get(id);
  if (job && row) row.file = job.sourcePath;
}

function render(projectId: string, rows: Map<string, Row>, max: number): void {
  const sorted = [...rows.values()].sort((a, b) => b.at - a.at).slice(0, max);
  const counts = new Map<string, number>();
  for (const r of rows.values()) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const head = `project ${projectId}: ${[...counts].map(([s, n]) => `${n} ${s.toLowerCase()}`).join(", ") || "no jobs seen yet"} (Ctrl-C to stop)`;
  const body = table(
    ["ID", "STATUS", "STAGE", "PROGRESS", "FILE"],
    sorted.map((r) => [r.id, r.status, r.stage, pct(r.progress), r.file]),
  );
  process.stdout.write(`\x1b[H\x1b[2J${head}\n\n${body}\n`);
}
