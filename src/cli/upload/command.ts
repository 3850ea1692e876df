/**
 * `edge-ingest upload <files|dirs|globs…> -p <project>`: opens an upload batch (or adds
 * to `--batch <id>`) and prints its id, asks which files are already ingested with the
 * same options (`lookup.ts`) and uploads only the rest into the batch with the raw
 * streaming route (Idempotency-Key from the file's SHA-256 and the options, so a re-run
 * creates nothing twice), closes it, then follows every job over one project WebSocket
 * to its end. The summary is the batch's, read back from the server, so
 * `edge-ingest batches get <id>` shows the same later. Ctrl-C stops new uploads, prints
 * what was done and exits 130.
 */
import { EdgeIngestError, isTerminal, type EdgeIngest, type Job } from "../../client/node";
import { batchSummary } from "../batches";
import { ProjectFollower } from "../follow";
import { BarDisplay, LineDisplay, type UploadDisplay } from "./display";
import { selectFiles } from "./files";
import { skipIngested } from "./lookup";
import { ingestKey, sha256File } from "./hash";
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
  /** New jobs even for files already ingested with the same options (no `Idempotency-Key`). */
  reprocess?: boolean;
  /** Add to this open upload batch instead of opening a new one (to finish an interrupted run); false: loose jobs. */
  batch?: string | false;
}

/** Exit codes: 0 all completed, 1 any failed, 130 interrupted (128 + SIGINT). */
export async function upload(paths: string[], opts: UploadOptions, connect: (onRetry: UploadDisplay["waiting"]) => Promise<EdgeIngest>): Promise<number> {
  const started = Date.now();
  // Bars are drawn on stderr: with stderr redirected they would keep only their last frame, and lose the warnings.
  const bars = !opts.json && process.stdout.isTTY === true && process.stderr.isTTY === true;
  const display: UploadDisplay = bars ? new BarDisplay() : new LineDisplay();
  const client = await connect((n) => display.waiting(n));

  const selection = await selectFiles(paths);
  for (const s of selection.skipped) display.warn(`skipped ${s.display}: ${s.reason}`);
  if (selection.files.length === 0) {
    process.stderr.write("error: nothing to upload\n");
    return 1;
  }

  const batch =
    opts.batch === false
      ? null
      : opts.batch
        ? await client.batches.get(opts.batch, { projectId: opts.projectId })
        : await client.batches.createUpload({
            projectId: opts.projectId,
            options: { isDeepScan: opts.deepScan, chunkSize: opts.chunkSize, chunkOverlap: opts.chunkOverlap },
          });
  if (batch) process.stderr.write(`Batch ${batch.id} (${selection.files.length} files)\n`);

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

  let follower: ProjectFollower | null = opts.wait
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

  const options = { chunkSize: opts.chunkSize, chunkOverlap: opts.chunkOverlap, isDeepScan: opts.deepScan, sourceId: opts.sourceId };
  if (!opts.reprocess) {
    const answered = await skipIngested(runs, {
      client,
      projectId: opts.projectId,
      options,
      signal: stop.signal,
      changed: (run) => display.changed(run),
      skipped: finish,
    }).catch((err: unknown) => {
      if (stop.signal.aborted) return true;
      display.warn(`could not ask which files are already ingested, uploading all: ${err instanceof EdgeIngestError ? err.detail : String(err)}`);
      return false;
    });
    if (!answered) display.warn("the service has no lookup route: every file is uploaded, and its Idempotency-Key finds any job made before");
  }

  const toUpload = runs.filter((r) => !r.skipped);
  // Opened before the first upload, so no frame of a new job is missed; not at all when nothing is uploaded.
  if (toUpload.length === 0) follower = null;
  await follower?.start();
  let next = 0;
  const worker = async () => {
    for (;;) {
      if (stop.signal.aborted) return;
      const run = toUpload[next++];
      if (!run) return;
      try {
        run.phase = "hashing";
        display.changed(run);
        const key = opts.reprocess ? undefined : ingestKey(run.sha256 ?? (await sha256File(run.file.path)), options);
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
          batchId: batch?.id,
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
  const uploads = Promise.all(Array.from({ length: Math.min(opts.concurrency, toUpload.length) }, worker)).then(async () => {
    if (batch && !stop.signal.aborted) await client.batches.close(batch.id, { projectId: opts.projectId });
  });
  const interruption = new Promise<void>((resolve) => stop.signal.addEventListener("abort", () => resolve(), { once: true }));
  await Promise.race([uploads.then(() => Promise.all(follows)), interruption]);
  process.off("SIGINT", onSigint);
  await follower?.stop();
  display.stop();

  const text = summary(runs, Date.now() - started, interrupted, opts.wait);
  (bars ? process.stdout : process.stderr).write(`${text}\n`);
  const server = batch ? await batchSummary(client, opts.projectId, batch.id).catch(() => null) : null;
  if (server) (bars ? process.stdout : process.stderr).write(`${server.text}\n`);
  if (interrupted) {
    if (batch) process.stderr.write(`Finish it with: edge-ingest upload <the same paths> -p ${opts.projectId} --batch ${batch.id}\n`);
    return 130;
  }
  const t = tally(runs);
  return t.failed > 0 || t.cancelled > 0 || (server?.batch.counts.failed ?? 0) > 0 ? 1 : 0;
}
