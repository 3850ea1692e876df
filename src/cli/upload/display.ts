/**
 * How an upload shows itself: live bars on a terminal (overall, and one per active
 * file: upload bytes, then stage and progress), or one JSON line per job otherwise.
 */
import cliProgress from "cli-progress";
import type { RetryNotice } from "../../client/node";
import { formatBytes, jobLine, tally, type FileRun } from "./run";

export interface UploadDisplay {
  start(runs: FileRun[]): void;
  /** The file's state changed (bytes sent, job created, stage or progress). */
  changed(run: FileRun): void;
  /** The file is done (its job ended, or its upload was refused). */
  finished(run: FileRun): void;
  /** The SDK is waiting before a retry (429 or 5xx). */
  waiting(notice: RetryNotice): void;
  warn(message: string): void;
  stop(): void;
}

const waitingText = (n: RetryNotice) =>
  `${n.status === 429 ? "rate limited" : n.status ? `server error ${n.status}` : "network error"}: waiting ${Math.ceil(n.delayMs / 1000)} s before retrying (${n.detail})`;

/** No bars: a JSON line per job on stdout, notices on stderr. */
export class LineDisplay implements UploadDisplay {
  start(): void {}
  changed(): void {}
  finished(run: FileRun): void {
    process.stdout.write(`${JSON.stringify(jobLine(run))}\n`);
  }
  waiting(n: RetryNotice): void {
    process.stderr.write(`${waitingText(n)} (${n.method} ${n.path})\n`);
  }
  warn(message: string): void {
    process.stderr.write(`warning: ${message}\n`);
  }
  stop(): void {}
}

const MAX_FILE_BARS = 8;
/** Name and bar widths: with the percentage they leave 20 of 80 columns for the label. */
const NAME_WIDTH = 28;
const BAR_SIZE = 24;
const EMPTY_ROW = { name: "".padEnd(NAME_WIDTH), pct: "    ", label: "" };

/** `name` in exactly `width` columns: padded, or cut in the middle so both its folder and its file name show. */
export function fitName(name: string, width: number): string {
  const chars = [...name];
  if (chars.length <= width) return name.padEnd(width);
  const head = Math.floor((width - 1) / 2);
  return `${chars.slice(0, head).join("")}…${chars.slice(chars.length - (width - 1 - head)).join("")}`;
}

/** A bar line cut to the terminal's width (one column spare, so it never wraps). */
export function fitLine(line: string, columns: number): string {
  const chars = [...line];
  return chars.length < columns ? line : `${chars.slice(0, Math.max(1, columns - 2)).join("")}…`;
}
const SCALE = 1000;

/** Live bars (cli-progress): overall plus up to eight active files. */
export class BarDisplay implements UploadDisplay {
  private readonly multi = new cliProgress.MultiBar({
    format: (options, params, payload: { name: string; pct: string; label: string }) => {
      if (!payload.name.trim()) return "";
      const size = options.barsize ?? 24;
      const filled = Math.round(Math.min(1, Math.max(0, params.progress)) * size);
      return fitLine(` ${payload.name} ${"█".repeat(filled)}${"░".repeat(size - filled)} ${payload.pct} ${payload.label}`, process.stderr.columns || 80);
    },
    barsize: BAR_SIZE,
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    autopadding: true,
    fps: 8,
  });
  private overall: cliProgress.SingleBar | undefined;
  /**
   * A fixed set of file rows, reused as files come and go: removing bars from a
   * cli-progress MultiBar leaves stale lines on some terminals.
   */
  private slots: { bar: cliProgress.SingleBar; run: FileRun | null }[] = [];
  private runs: FileRun[] = [];
  private waitUntil = 0;
  private waitNotice: RetryNotice | null = null;
  private ticker: ReturnType<typeof setInterval> | undefined;

  start(runs: FileRun[]): void {
    this.runs = runs;
    this.overall = this.multi.create(runs.length, 0, this.overallPayload());
    for (let i = 0; i < Math.min(MAX_FILE_BARS, runs.length); i++) this.slots.push({ bar: this.multi.create(SCALE, 0, { ...EMPTY_ROW }), run: null });
    this.ticker = setInterval(() => this.refreshAll(), 500);
  }

  changed(run: FileRun): void {
    let slot = this.slots.find((s) => s.run === run);
    if (!slot && run.phase !== "done") {
      slot = this.slots.find((s) => s.run === null);
      if (slot) slot.run = run;
    }
    slot?.bar.update(this.fileValue(run), this.filePayload(run));
    this.refreshOverall();
  }

  finished(run: FileRun): void {
    const slot = this.slots.find((s) => s.run === run);
    if (slot) {
      slot.run = null;
      slot.bar.update(0, { ...EMPTY_ROW });
    }
    if (run.error !== undefined || run.job?.status === "FAILED") this.multi.log(`failed: ${run.file.display}: ${run.error ?? "failed"}\n`);
    // Give the freed row to an active file that has none yet.
    const next = this.runs.find((r) => r.phase !== "pending" && r.phase !== "done" && !this.slots.some((s) => s.run === r));
    if (next) this.changed(next);
    this.refreshOverall();
  }

  waiting(n: RetryNotice): void {
    this.waitNotice = n;
    this.waitUntil = Date.now() + n.delayMs;
    this.refreshAll();
  }

  warn(message: string): void {
    this.multi.log(`warning: ${message}\n`);
  }

  stop(): void {
    clearInterval(this.ticker);
    this.refreshOverall();
    this.multi.stop();
  }

  private refreshOverall(): void {
    this.overall?.update(tally(this.runs).done, this.overallPayload());
  }

  /** Every row: the waiting notice comes and goes without any file changing. */
  private refreshAll(): void {
    for (const s of this.slots) if (s.run) s.bar.update(this.fileValue(s.run), this.filePayload(s.run));
    this.refreshOverall();
  }

  private overallPayload() {
    const t = tally(this.runs);
    const parts = [`${t.done}/${t.total} files`, `${t.completed} completed`, `${t.failed} failed`, `${t.duplicates} dup`];
    const left = this.waitUntil - Date.now();
    if (left > 0 && this.waitNotice) parts.unshift(`${waitingText({ ...this.waitNotice, delayMs: left })}`);
    const pct = t.total ? Math.floor((t.done / t.total) * 100) : 100;
    return { name: "overall".padEnd(NAME_WIDTH), pct: `${String(pct).padStart(3)}%`, label: parts.join(" | ") };
  }

  private fileValue(run: FileRun): number {
    if (run.phase === "uploading" || run.phase === "hashing") return Math.round((run.sent / Math.max(1, run.file.size)) * SCALE);
    return Math.round((run.job?.progress ?? 0) * SCALE);
  }

  private filePayload(run: FileRun) {
    const name = fitName(run.file.display, NAME_WIDTH);
    const value = this.fileValue(run) / SCALE;
    let label: string;
    if (run.phase === "hashing") label = "hashing";
    else if (run.phase === "uploading" && this.waitUntil > Date.now()) label = "waiting to retry";
    else if (run.phase === "uploading" && run.sent >= run.file.size) label = `sent ${formatBytes(run.file.size)}, creating the job`;
    else if (run.phase === "uploading") label = `upload ${formatBytes(run.sent)} / ${formatBytes(run.file.size)}`;
    else label = `${run.job?.status ?? ""} ${run.job?.stage ?? ""}${run.created === false ? " (duplicate)" : ""}`.trim();
    return { name, pct: `${String(Math.floor(value * 100)).padStart(3)}%`, label };
  }
}
