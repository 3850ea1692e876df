/**
 * How `edge-ingest arxiv` shows a harvest: its counters, the arXiv gate's wait and the
 * papers as their items end. On a terminal, a status block on stderr redrawn in place,
 * with each ended paper printed above it on stdout; otherwise plain lines (a counters
 * line on stderr whenever the counters move, one line per ended paper on stdout, JSON
 * with `--json`).
 */
import { type ArxivGateStatus, type Batch, type BatchItem, harvestStats, type RetryNotice } from "../client/node";
import { fitLine } from "./upload/display";

export interface HarvestDisplay {
  /** The batch as last read, and the gate's wait (null once the harvest has ended or when unknown). */
  progress(batch: Batch, gate: ArxivGateStatus | null): void;
  /** An item ended (completed, failed, cancelled or skipped). */
  item(item: BatchItem): void;
  /** The SDK waits before retrying a call (429 or 5xx). */
  waiting(notice: RetryNotice): void;
  stop(): void;
}

/** `papers 12 fetched: 10 created, 1 updated, 1 unchanged | pdfs 11 downloaded, 9 processed | 1 error`. */
export function countersLine(batch: Batch): string {
  const s = harvestStats(batch);
  const errors = batch.errors.length;
  return [
    `papers ${s.papers_fetched} fetched: ${s.papers_created} created, ${s.papers_updated} updated, ${s.papers_unchanged} unchanged`,
    `pdfs ${s.pdfs_downloaded} downloaded, ${s.pdfs_processed} processed`,
    `${errors} error${errors === 1 ? "" : "s"}`,
  ].join(" | ");
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** "next arXiv request in 2.1 s", "arXiv asked us to pause: 42.0 s left", or "" when nothing waits. */
export function gateLine(gate: ArxivGateStatus | null): string {
  if (!gate) return "";
  // `queued` counts the request on the wire too: every request at the gate, over every harvest.
  const queued = gate.queued > 0 ? ` (${gate.queued} request${gate.queued === 1 ? "" : "s"} at the gate)` : "";
  if (gate.pausedForMs > 0) return `arXiv asked us to pause: ${seconds(gate.pausedForMs)} left${queued}`;
  if (gate.nextRequestInMs > 0) return `next arXiv request in ${seconds(gate.nextRequestInMs)}${queued}`;
  return gate.queued > 0 ? `arXiv request under way${queued}` : "";
}

/** `COMPLETED  2104.12255v1  Title`, or the error for an item that did not complete. */
export function itemLine(item: BatchItem): string {
  const detail = item.error ? `${item.error.code}: ${item.error.message}` : "";
  return [item.status.padEnd(9), item.source, item.title ?? "", detail].filter(Boolean).join("  ");
}

/** What `--json` prints per ended item. */
export const itemJson = (item: BatchItem) => ({
  source: item.source,
  status: item.status,
  title: item.title,
  sourceUrl: item.sourceUrl,
  jobId: item.jobId,
  error: item.error,
});

const waitingText = (n: RetryNotice) =>
  `${n.status === 429 ? "rate limited" : n.status ? `server error ${n.status}` : "network error"}: waiting ${Math.ceil(n.delayMs / 1000)} s before retrying (${n.detail})`;

/** No terminal: plain lines. */
export class LineHarvestDisplay implements HarvestDisplay {
  private last = "";
  constructor(private readonly json: boolean) {}

  progress(batch: Batch, gate: ArxivGateStatus | null): void {
    const line = `${batch.status} ${countersLine(batch)}`;
    if (line === this.last) return;
    this.last = line;
    const wait = gateLine(gate);
    process.stderr.write(`${line}${wait ? ` | ${wait}` : ""}\n`);
  }

  item(item: BatchItem): void {
    process.stdout.write(`${this.json ? JSON.stringify(itemJson(item)) : itemLine(item)}\n`);
  }

  waiting(n: RetryNotice): void {
    process.stderr.write(`${waitingText(n)} (${n.method} ${n.path})\n`);
  }

  stop(): void {}
}

/** A terminal: a status block on stderr, redrawn in place; ended papers above it. */
export class LiveHarvestDisplay implements HarvestDisplay {
  private block: string[] = [];
  private drawn = 0;
  private notice = "";
  private readonly started = Date.now();
  private readonly timer: ReturnType<typeof setInterval>;
  private batch: Batch | null = null;
  private gate: ArxivGateStatus | null = null;
  private gateAt = Date.now();

  constructor(private readonly label: string) {
    // The gate's wait counts down between reads.
    this.timer = setInterval(() => this.render(), 200);
  }

  progress(batch: Batch, gate: ArxivGateStatus | null): void {
    this.batch = batch;
    this.gate = gate;
    this.gateAt = Date.now();
    this.notice = "";
    this.render();
  }

  item(item: BatchItem): void {
    this.clear();
    process.stdout.write(`${itemLine(item)}\n`);
    this.draw();
  }

  waiting(n: RetryNotice): void {
    this.notice = waitingText(n);
    this.render();
  }

  stop(): void {
    clearInterval(this.timer);
    this.render();
  }

  private render(): void {
    const b = this.batch;
    const elapsed = seconds(Date.now() - this.started);
    const passed = Date.now() - this.gateAt;
    const gate = this.gate && {
      ...this.gate,
      nextRequestInMs: Math.max(0, this.gate.nextRequestInMs - passed),
      pausedForMs: Math.max(0, this.gate.pausedForMs - passed),
    };
    this.block = b
      ? [
          `harvest ${b.id} ${b.status} · ${this.label} · ${elapsed}`,
          ` ${countersLine(b)}`,
          ` items ${b.counts.completed + b.counts.failed + b.counts.cancelled + b.counts.skipped}/${b.counts.total} ended, ${b.counts.running} running, ${b.counts.queued} queued`,
          ` ${this.notice || gateLine(gate) || (b.open ? "waiting for the next page" : "every page read")}`,
        ]
      : [`harvest starting · ${this.label} · ${elapsed}`];
    this.clear();
    this.draw();
  }

  private clear(): void {
    if (this.drawn > 0) process.stderr.write(`\x1b[${this.drawn}A\r\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    const columns = process.stderr.columns || 80;
    for (const line of this.block) process.stderr.write(`${fitLine(line, columns)}\n`);
    this.drawn = this.block.length;
  }
}
