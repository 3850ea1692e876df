/**
 * Before uploading: hashes the files and asks the service, `MAX_LOOKUP_ITEMS` files per
 * request, which are already ingested with the same options. Those are not uploaded.
 */
import { EdgeIngestError, MAX_LOOKUP_ITEMS, type EdgeIngest } from "../../client/node";
import type { IngestOptions } from "./hash";
import { sha256File } from "./hash";
import type { FileRun } from "./run";

/** Files hashed at once (reading from disk; the CPU hashes one at a time anyway). */
const HASH_CONCURRENCY = 4;

export interface LookupContext {
  client: EdgeIngest;
  projectId: string;
  options: IngestOptions;
  signal: AbortSignal;
  /** Shows a file's state change (hashing, or skipped). */
  changed(run: FileRun): void;
  /** A file found already ingested: it is done, with that job. */
  skipped(run: FileRun): void;
}

/**
 * Hashes every run (`run.sha256`) and marks those already ingested (`run.skipped`, with
 * the job and its document). Returns false when the service could not answer (an older
 * server without the route): every file is then uploaded, and its key still finds the job.
 */
export async function skipIngested(runs: FileRun[], ctx: LookupContext): Promise<boolean> {
  for (let start = 0; start < runs.length; start += MAX_LOOKUP_ITEMS) {
    const page = runs.slice(start, start + MAX_LOOKUP_ITEMS);
    await hashAll(page, ctx);
    if (ctx.signal.aborted) return true;
    let answers: Awaited<ReturnType<EdgeIngest["jobs"]["lookup"]>>;
    try {
      answers = await ctx.client.jobs.lookup(
        page.map((r) => ({ sha256: r.sha256!, ...definedOptions(ctx.options) })),
        { projectId: ctx.projectId, signal: ctx.signal },
      );
    } catch (err) {
      if (err instanceof EdgeIngestError && (err.status === 404 || err.status === 405)) return false;
      throw err;
    }
    page.forEach((run, i) => {
      const found = answers[i];
      if (!found?.jobId) return;
      run.skipped = true;
      run.created = false;
      // A lookup names the job and its document; the job's counters are not read (`jobs get` has them).
      const counters = {
        bytesRead: 0,
        pagesExtracted: 0,
        charactersExtracted: 0,
        charactersDropped: 0,
        chunksCreated: 0,
        chunksIndexed: 0,
        duplicatesFound: 0,
      };
      run.job = { id: found.jobId, status: "COMPLETED", stage: "DONE", progress: 1, canonicalDocumentId: found.documentId, counters };
      ctx.skipped(run);
    });
  }
  return true;
}

async function hashAll(runs: FileRun[], ctx: LookupContext): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let run = runs[next++]; run && !ctx.signal.aborted; run = runs[next++]) {
      run.phase = "hashing";
      ctx.changed(run);
      run.sha256 = await sha256File(run.file.path);
      run.phase = "pending";
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASH_CONCURRENCY, runs.length) }, worker));
}

/** The options the user gave (the service applies the same defaults to the rest as on upload). */
function definedOptions(o: IngestOptions): IngestOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as IngestOptions;
}
