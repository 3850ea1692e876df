/** The state of one file of an upload, and the run's tally. Pure. */
import type { LocalFile } from "./files";
import type { JobState } from "../follow";

export interface FileRun {
  file: LocalFile;
  phase: "pending" | "hashing" | "uploading" | "following" | "done";
  /** Bytes of the body sent so far. */
  sent: number;
  job?: JobState;
  /** False when the job already existed (same content, found by its Idempotency-Key). */
  created?: boolean;
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
      if (r.job?.status === "COMPLETED") t.completed++;
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
    batchId: r.job?.batchId ?? null,
    status: r.job?.status ?? "REFUSED",
    stage: r.job?.stage ?? null,
    progress: r.job?.progress ?? null,
    duplicate: r.created === false,
    error: r.error ?? null,
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The end-of-run summary, for people. */
export function summary(runs: FileRun[], elapsedMs: number, interrupted: boolean): string {
  const t = tally(runs);
  const lines = [
    `${interrupted ? "Interrupted" : "Done"} in ${(elapsedMs / 1000).toFixed(1)} s: ${t.completed} completed, ${t.failed} failed, ${t.cancelled} cancelled, ${t.duplicates} duplicates (already uploaded; no new job)${interrupted ? `, ${t.total - t.done} not finished` : ""}, of ${t.total} files.`,
  ];
  const failed = runs.filter((r) => r.phase === "done" && (r.error !== undefined || r.job?.status === "FAILED"));
  if (failed.length) {
    lines.push("Failed:");
    for (const r of failed) lines.push(`  ${r.file.display}: ${r.error ?? "failed"}`);
  }
  if (interrupted) lines.push("Run the same command again to finish: files already uploaded are found by their SHA-256, not uploaded twice.");
  return lines.join("\n");
}
