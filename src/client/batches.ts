/** `client.batches`: create, read, list, follow, cancel and retry batches (DESIGN §13). */
import type { JobsHost, ProjectOption } from "./jobs";
import { followLog, liveStream, type LiveOptions, waitFor } from "./live";
import { everyItem } from "./pages";
import type { Transport } from "./transport";
import { sleep } from "./transport";
import { type Batch, type BatchEvent, type BatchFilters, type BatchFrame, type BatchItem, type BatchItemList, type BatchList, isTerminal } from "./types";

export interface BatchOptions {
  chunkSize?: number;
  chunkOverlap?: number;
  isDeepScan?: boolean;
}

export type CreateBatchOptions = ProjectOption & {
  options?: BatchOptions;
  /** Same key, same project, same request: the first batch comes back (200). Makes the call retryable. */
  idempotencyKey?: string;
};

export type ListBatchesOptions = ProjectOption & BatchFilters & { cursor?: string };
export type ListItemsOptions = ProjectOption & { status?: BatchItem["status"]; cursor?: string; limit?: number };

export interface BatchEventsOptions extends ProjectOption, Omit<LiveOptions, "after"> {
  after?: number;
  pollMs?: number;
}

export interface BatchWaitOptions extends ProjectOption {
  /** Every change of status or counts. */
  onProgress?: (batch: BatchEvent["batch"]) => void;
  signal?: AbortSignal;
  pollMs?: number;
}

const enc = encodeURIComponent;
const batchesPath = (projectId: string) => `/api/projects/${enc(projectId)}/ingest/batches`;
const batchPath = (projectId: string, id: string) => `${batchesPath(projectId)}/${enc(id)}`;
const isDone = (frame: { type: string; batch?: { status: string } }) => frame.batch !== undefined && isTerminal(frame.batch.status);

export class Batches {
  constructor(private readonly host: JobsHost) {}

  private get http(): Transport {
    return this.host.transport;
  }

  /** Opens an upload batch (add files with `jobs.create(file, { batchId })`, then `close`). */
  createUpload(opts: CreateBatchOptions = {}): Promise<Batch> {
    return this.create({ kind: "upload", options: opts.options }, opts);
  }

  /** A batch that fetches each URL into an item. */
  createUrls(urls: string[], opts: CreateBatchOptions = {}): Promise<Batch> {
    return this.create({ kind: "urls", urls, options: opts.options }, opts);
  }

  /** `POST /batches` with a body of any kind. */
  async create(body: { kind: string; options?: BatchOptions } & Record<string, unknown>, opts: CreateBatchOptions = {}): Promise<Batch> {
    const projectId = this.host.project(opts);
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
    const clean = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
    return this.http.json<Batch>({
      method: "POST",
      path: batchesPath(projectId),
      projectId,
      headers,
      body: () => JSON.stringify(clean),
      retry: opts.idempotencyKey !== undefined,
    });
  }

  async get(id: string, opts: ProjectOption & { signal?: AbortSignal } = {}): Promise<Batch> {
    const projectId = this.host.project(opts);
    return this.http.json<Batch>({ method: "GET", path: batchPath(projectId, id), projectId, retry: true, signal: opts.signal });
  }

  /** One page of batches, newest first. */
  async list(opts: ListBatchesOptions = {}): Promise<BatchList> {
    const { projectId: _p, ...query } = opts;
    const projectId = this.host.project(opts);
    return this.http.json<BatchList>({ method: "GET", path: batchesPath(projectId), projectId, query, retry: true });
  }

  /** Every batch matching the filters, across pages. */
  iterate(opts: Omit<ListBatchesOptions, "cursor"> = {}): AsyncGenerator<Batch> {
    return everyItem((cursor) => this.list({ ...opts, cursor }));
  }

  /** One page of the batch's items, in order. */
  async itemsPage(id: string, opts: ListItemsOptions = {}): Promise<BatchItemList> {
    const { projectId: _p, ...query } = opts;
    const projectId = this.host.project(opts);
    return this.http.json<BatchItemList>({ method: "GET", path: `${batchPath(projectId, id)}/items`, projectId, query, retry: true });
  }

  /** Every item of the batch (optionally of one status), across pages. */
  items(id: string, opts: Omit<ListItemsOptions, "cursor"> = {}): AsyncGenerator<BatchItem> {
    return everyItem((cursor) => this.itemsPage(id, { ...opts, cursor }));
  }

  close(id: string, opts: ProjectOption = {}): Promise<Batch> {
    return this.command(id, "close", opts);
  }

  cancel(id: string, opts: ProjectOption = {}): Promise<Batch> {
    return this.command(id, "cancel", opts);
  }

  retry(id: string, opts: ProjectOption = {}): Promise<Batch> {
    return this.command(id, "retry", opts);
  }

  async delete(id: string, opts: ProjectOption = {}): Promise<void> {
    const projectId = this.host.project(opts);
    await this.http.send({ method: "DELETE", path: batchPath(projectId, id), projectId, retry: true });
  }

  private command(id: string, verb: string, opts: ProjectOption): Promise<Batch> {
    const projectId = this.host.project(opts);
    return this.http.json<Batch>({ method: "POST", path: `${batchPath(projectId, id)}/${verb}`, projectId, retry: verb !== "retry" });
  }

  /** The stored event log after `after` (no socket). */
  async log(id: string, opts: ProjectOption & { after?: number } = {}): Promise<{ items: BatchEvent[]; lastSeq: number }> {
    const projectId = this.host.project(opts);
    return this.http.json({ method: "GET", path: `${batchPath(projectId, id)}/events`, projectId, query: { after: opts.after }, retry: true });
  }

  /** The batch's live frames (a `batch.snapshot` first unless `after` is given), each once; ends with the batch. */
  events(id: string, opts: BatchEventsOptions = {}): AsyncGenerator<BatchFrame> {
    const projectId = this.host.project(opts);
    const http = this.http;
    const pollMs = opts.pollMs ?? 1_000;
    const log = (after: number) => this.log(id, { projectId, after });
    return liveStream<BatchFrame>(
      {
        async url(position) {
          const ws = http.url(`${batchPath(projectId, id)}/events`, { after: position ?? undefined, access_token: await http.token() });
          return ws.replace(/^http/, "ws");
        },
        position: (f) => f.seq,
        isSnapshot: (f) => f.type === "batch.snapshot",
        isLast: isDone,
        fill: async (after, before) => (await log(after)).items.filter((e) => e.seq < before),
        probe: async () => void (await log(Number.MAX_SAFE_INTEGER)),
        endOnNormalClose: true,
        fallback: (position, signal) => followLog(log, isDone, position, pollMs, signal),
      },
      { WebSocket: this.host.WebSocket, ...opts, after: opts.after },
    );
  }

  /** Resolves with the finished batch. Follows its WebSocket, or polls where sockets are unavailable. */
  async wait(id: string, opts: BatchWaitOptions = {}): Promise<Batch> {
    const projectId = this.host.project(opts);
    return waitFor<Batch, BatchFrame>(
      {
        events: () => this.events(id, { projectId, signal: opts.signal }),
        isLast: isDone,
        onFrame: (frame) => opts.onProgress?.(frame.batch),
        read: () => this.get(id, { projectId }),
        poll: async () => {
          for (;;) {
            const batch = await this.get(id, { projectId, signal: opts.signal });
            opts.onProgress?.(batch);
            if (isTerminal(batch.status)) return batch;
            await sleep(opts.pollMs ?? 1_000, opts.signal);
          }
        },
      },
      { WebSocket: this.host.WebSocket, signal: opts.signal },
    );
  }
}
