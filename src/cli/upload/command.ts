/**
 * `edge-ingest upload <files|dirs|globs…> -p <project>`: opens an upload batch (or adds
 * to `--batch <id>`) and prints its id, uploads every file into it with the raw streaming
 * route (Idempotency-Key = the file's SHA-256, so a re-run creates nothing twice), closes
 * it, then follows every job over one project WebSocket to its end. The summary is the
 * batch's, read back from the server, so `edge-ingest batches get <id>` shows the same
 * later. Ctrl-C stops new uploads, prints what was done and exits 130.
 */
import { EdgeIngestError, isTerminal, type EdgeIngest, type Job } from "../../client/node";
import { batchSummary } from "../batches";
import { ProjectFollower } from "../follow";
import { BarDisplay, LineDisplay, type UploadDisplay } from "./display";
import { selectFiles } from "./files";
import { sha256File } from "./hash";
import { summary, tally, type FileRun } from "./run";

export interface UploadOptions {
  projectId: string;
  deepScan?: boolean;
  chunkSize?: number;
  chunkOverlap?: number;
  sourceId?: string;
  concurrency: number;
  wait: boolean;
  json: boolean;
  /** Add to this open upload batch instead of opening a new one (to finish an interrupted run). */
  batch?: string;
}

/** Exit codes: 0 all completed, 1 any failed, 130 interrupted (128 + SIGINT). */
export async function upload(paths: string[], opts: UploadOptions, connect: (onRetry: UploadDisplay["waiting"]) => Promise<EdgeIngest>): Promise<number> {
  const started = Date.now();
  const bars = !opts.json && process.stdout.isTTY === true;
  const display: UploadDisplay = bars ? new BarDisplay() : new LineDisplay();
  const client = await connect((n) => display.waiting(n));

  const selection = await selectFiles(paths);
  for (const s of selection.skipped) display.warn(`skipped ${s.display}: ${s.reason}`);
  if (selection.files.length === 0) {
    process.stderr.write("error: nothing to upload\n");
    return 1;
  }

  const batch = opts.batch
    ? await client.batches.get(opts.batch, { projectId: opts.projectId })
    : await client.batches.createUpload({
        projectId: opts.projectId,
        options: { isDeepScan: opts.deepScan, chunkSize: opts.chunkSize, chunkOverlap: opts.chunkOverlap },
      });
  process.stderr.write(`Batch ${batch.id} (${selection.files.length} files)\n`);

  const runs: FileRun[] = selection.files.map((file) => ({ file, phase: "pending", sent: 0 }));
  const byJob = new Map<string, FileRun[]>();
  const stop = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130); // a second Ctrl-C does not wait for anything
    interrupted = true;
    stop.abort(new Error("interrupted"));
  };
  process.on("SIGINT", onSigint);

  const follower = opts.wait
    ? new ProjectFollower(client, {
        projectId: opts.projectId,
        onChange: (state) => {
          for (const run of byJob.get(state.id) ?? []) {
            run.job = { ...run.job, ...state };
            display.changed(run);
          }
        },
      })
    : null;
  await follower?.start();
  display.start(runs);

  const finish = (run: FileRun) => {
    run.phase = "done";
    display.finished(run);
  };

  const follows: Promise<void>[] = [];
  const follow = (run: FileRun, job: Job) => {
    const list = byJob.get(job.id) ?? [];
    list.push(run);
    byJob.set(job.id, list);
    if (!follower || isTerminal(job.status)) return void (follower ? settle(run, job) : finish(run));
    run.phase = "following";
    follows.push(follower.follow(job).then((state) => settle(run, { ...job, ...state })));
  };
  /** A finished job: a failure's message comes from the full job (frames do not carry it). */
  const settle = async (run: FileRun, job: Job) => {
    run.job = job;
    if (job.status === "FAILED") {
      const full = job.errorMessage ? job : await client.jobs.get(job.id, { projectId: opts.projectId }).catch(() => job);
      run.job = full;
      run.error = full.errorMessage ?? "failed";
    }
    finish(run);
  };

  let next = 0;
  const worker = async () => {
    for (;;) {
      if (stop.signal.aborted) return;
      const run = runs[next++];
      if (!run) return;
      try {
        run.phase = "hashing";
        display.changed(run);
        const key = await sha256File(run.file.path);
        run.phase = "uploading";
        display.changed(run);
        const { job, created } = await client.jobs.submit(run.file.path, {
          projectId: opts.projectId,
          filename: run.file.display.split("/").pop(),
          sourcePath: run.file.display,
          sourceId: opts.sourceId,
          isDeepScan: opts.deepScan,
          chunkSize: opts.chunkSize,
          chunkOverlap: opts.chunkOverlap,
          idempotencyKey: key,
          batchId: batch.id,
          signal: stop.signal,
          onUploadProgress: bars
            ? (sent) => {
                run.sent = sent;
                display.changed(run);
              }
            : undefined,
        });
        run.job = job;
        run.created = created;
        run.sent = run.file.size;
        run.phase = "following";
        display.changed(run);
        follow(run, job);
      } catch (err) {
        if (stop.signal.aborted) {
          run.phase = "pending";
          return;
        }
        run.error = err instanceof EdgeIngestError ? err.detail : err instanceof Error ? err.message : String(err);
        finish(run);
      }
    }
  };

  // Once every file is in, the batch is closed: it ends when its items have.
  const uploads = Promise.all(Array.from({ length: Math.min(opts.concurrency, runs.length) }, worker)).then(async () => {
    if (!stop.signal.aborted) await client.batches.close(batch.id, { projectId: opts.projectId });
  });
  const interruption = new Promise<void>((resolve) => stop.signal.addEventListener("abort", () => resolve(), { once: true }));
  await Promise.race([uploads.then(() => Promise.all(follows)), interruption]);
  process.off("SIGINT", onSigint);
  await follower?.stop();
  display.stop();

  const text = summary(runs, Date.now() - started, interrupted);
  (bars ? process.stdout : process.stderr).write(`${text}\n`);
  const server = await batchSummary(client, opts.projectId, batch.id).catch(() => null);
  if (server) (bars ? process.stdout : process.stderr).write(`${server.text}\n`);
  if (interrupted) {
    process.stderr.write(`Finish it with: edge-ingest upload <the same paths> -p ${opts.projectId} --batch ${batch.id}\n`);
    return 130;
  }
  const t = tally(runs);
  return t.failed > 0 || t.cancelled > 0 || (server?.batch.counts.failed ?? 0) > 0 ? 1 : 0;
}
