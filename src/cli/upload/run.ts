/** The state of one file of an upload, and the run's tally. Pure. */
import type { LocalFile } from "./files";
import type { JobState } from "../follow";

export interface FileRun {
  file: LocalFile;
  phase: "pending" | "hashing" | "uploading" | "following" | "done";
  /** Bytes of the body sent so far. */
  sent: number;
  job?: JobState;
  /** False when the job already existed (same content, found by its Idempotency-Key or a lookup). */
  created?: boolean;
  /** The file's SHA-256, once hashed. */
  sha256?: string;
  /** Not uploaded: a lookup found it already ingested with the same options (`job` is that job). */
  skipped?: boolean;
  /** Why the file did not complete: a refused upload's detail or the job's errorMessage. */
  error?: string;
}

export interface Tally {
  total: number;
  done: number;
  completed: number;
  failed: number;
  cancelled: number;
  duplicates: number;
  active: number;
}

export function tally(runs: FileRun[]): Tally {
  const t: Tally = { total: runs.length, done: 0, completed: 0, failed: 0, cancelled: 0, duplicates: 0, active: 0 };
  for (const r of runs) {
    if (r.created === false) t.duplicates++;
    if (r.phase === "done") {
      t.done++;
      // A file ingested before (found by the lookup or its key) is counted as skipped, not as completed by this run.
      if (r.job?.status === "COMPLETED" && r.created !== false) t.completed++;
      else if (r.job?.status === "CANCELLED") t.cancelled++;
      else if (r.error !== undefined || r.job?.status === "FAILED") t.failed++;
    } else if (r.phase !== "pending") {
      t.active++;
    }
  }
  return t;
}

/** The JSON line printed for a file once it is done (or created, with --no-wait). */
export function jobLine(r: FileRun): Record<string, unknown> {
  return {
    file: r.file.display,
    jobId: r.job?.id ?? null,
    batchId: (r.job as { batchId?: string | null } | undefined)?.batchId ?? null,
    status: r.job?.status ?? "REFUSED",
    stage: r.job?.stage ?? null,
    progress: r.job?.progress ?? null,
    documentId: r.job?.canonicalDocumentId ?? null,
    duplicate: r.created === false,
    ...(r.skipped ? { skipped: "already ingested with the same options" } : {}),
    error: r.error ?? null,
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Completed files listed by document id in the summary, up to this many. */
const SUMMARY_DOCUMENTS = 20;

/** "Failed:" and one line per file that failed or was refused, with why. */
function failures(runs: FileRun[]): string[] {
  const failed = runs.filter((r) => r.phase === "done" && (r.error !== undefined || r.job?.status === "FAILED"));
  return failed.length ? ["Failed:", ...failed.map((r) => `  ${r.file.display}: ${r.error ?? "failed"}`)] : [];
}

/** The end-of-run summary, for people. */
export function summary(runs: FileRun[], elapsedMs: number, interrupted: boolean, waited = true): string {
  const t = tally(runs);
  const seconds = (elapsedMs / 1000).toFixed(1);
  const skipped = `${t.duplicates} skipped (already ingested with the same options; no new job)`;
  if (!waited) {
    const created = runs.filter((r) => r.created === true).length;
    const refused = runs.filter((r) => r.error !== undefined).length;
    return [
      `Uploaded in ${seconds} s: ${created} ${created === 1 ? "job" : "jobs"} created, ${skipped}, ${refused} refused, of ${t.total} files. Not waiting for them (--no-wait): \`edge-ingest jobs list\` shows them.`,
      ...failures(runs),
    ].join("\n");
  }
  const lines = [
    `${interrupted ? "Interrupted" : "Done"} in ${seconds} s: ${t.completed} completed, ${t.failed} failed, ${t.cancelled} cancelled, ${skipped}${interrupted ? `, ${t.total - t.done} not finished` : ""}, of ${t.total} files.`,
  ];
  const skippedRuns = runs.filter((r) => r.skipped);
  if (skippedRuns.length > 0 && skippedRuns.length <= SUMMARY_DOCUMENTS) {
    lines.push("Skipped: already ingested with the same options (--reprocess uploads them again):");
    for (const r of skippedRuns) lines.push(`  ${r.file.display}: job ${r.job?.id}, document ${r.job?.canonicalDocumentId ?? "none"}`);
  } else if (skippedRuns.length > SUMMARY_DOCUMENTS) {
    lines.push(
      `Skipped ${skippedRuns.length} files already ingested with the same options (--reprocess uploads them again); --json names each one's job and document.`,
    );
  }
  const documents = runs.filter((r) => !r.skipped && r.job?.status === "COMPLETED" && r.job.canonicalDocumentId);
  if (documents.length > 0 && documents.length <= SUMMARY_DOCUMENTS) {
    lines.push("Documents:");
    for (const r of documents) lines.push(`  ${r.file.display}: ${r.job!.canonicalDocumentId}`);
  } else if (documents.length > SUMMARY_DOCUMENTS) {
    lines.push(`Document ids: --json prints one line per file with its documentId.`);
  }
  lines.push(...failures(runs));
  if (interrupted) lines.push("Run the same command again to finish: files already uploaded are found by their SHA-256, not uploaded twice.");
  return lines.join("\n");
}
