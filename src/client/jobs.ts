/** `client.jobs`: create, read, list, cancel, retry, delete, wait for, and follow jobs. */
import { everyItem } from "./pages";
import { followLog, liveStream, type LiveOptions, waitFor } from "./live";
import type { Transport } from "./transport";
import { sleep } from "./transport";
import { isTerminal, type Job, type JobEvent, type JobFilters, type JobFrame, type JobList, type LookupItem, type LookupResult } from "./types";
import { baseName, counted, uploadSource, type FileInput } from "./upload-body";

export interface ProjectOption {
  /** Defaults to the client's `projectId`. */
  projectId?: string;
}

export interface CreateJobOptions extends ProjectOption {
  /** Required unless the file has a name (a `File`, a path, a stream with `name`). */
  filename?: string;
  sourceId?: string;
  sourcePath?: string;
  isDeepScan?: boolean;
  chunkSize?: number;
  chunkOverlap?: number;
  /** Adds the job to this open upload batch. */
  batchId?: string;
  /** Same key, same project: the first job comes back (200) instead of a new one. Makes the call retryable. */
  idempotencyKey?: string;
  /** Bytes sent so far (streams the body through a counter; Node, Workers, Chromium). */
  onUploadProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

/** The job, and whether this call created it (201) or found it by its idempotency key (200). */
export interface Submitted {
  job: Job;
  created: boolean;
}

export interface WaitOptions extends ProjectOption {
  /** Every change of status, stage or progress. */
  onProgress?: (job: JobEvent["job"]) => void;
  signal?: AbortSignal;
  /** Polling interval when sockets are unavailable (default 1 s). */
  pollMs?: number;
}

export interface EventsOptions extends ProjectOption, Omit<LiveOptions, "after"> {
  /** Resume after this `seq`: the missed events are replayed first (no snapshot). */
  after?: number;
  /** Polling interval of the fallback when sockets cannot be opened (default 1 s). */
  pollMs?: number;
}

export type ListJobsOptions = ProjectOption & JobFilters & { cursor?: string };

/** How the client resolves projects and opens paths (the Node entry adds paths). */
export interface JobsHost {
  transport: Transport;
  project(opts?: ProjectOption): string;
  openPath?(path: string): Promise<Blob>;
  WebSocket?: LiveOptions["WebSocket"] | null;
}

const enc = encodeURIComponent;
const ingestPath = (projectId: string) => `/api/projects/${enc(projectId)}/ingest`;
const jobsPath = (projectId: string) => `${ingestPath(projectId)}/jobs`;
const jobPath = (projectId: string, id: string) => `${jobsPath(projectId)}/${enc(id)}`;
const isDone = (frame: { type: string; job?: { status: string } }) => frame.type === "job.deleted" || (frame.job !== undefined && isTerminal(frame.job.status));

export class Jobs {
  constructor(private readonly host: JobsHost) {}

  private get http(): Transport {
    return this.host.transport;
  }

  /** Uploads a file with the raw streaming route; returns the job. */
  async create(file: FileInput, opts: CreateJobOptions = {}): Promise<Job> {
    return (await this.submit(file, opts)).job;
  }

  /** `create`, also telling whether the job is new (201) or an idempotent repeat (200). */
  async submit(file: FileInput, opts: CreateJobOptions = {}): Promise<Submitted> {
    const projectId = this.host.project(opts);
    let input: Exclude<FileInput, string>;
    let name = opts.filename;
    if (typeof file === "string") {
      if (!this.host.openPath) throw new TypeError("A path needs the Node entry of the SDK; pass a Blob or a stream with its size");
      input = await this.host.openPath(file);
      name ??= baseName(file);
    } else {
      input = file;
    }
    const source = uploadSource(input, name);
    if (!source.name) throw new TypeError("jobs.create needs opts.filename for a file without a name");
    const headers: Record<string, string> = { "Content-Type": source.type, "Content-Length": String(source.size) };
    if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
    const res = await this.http.send({
      method: "POST",
      path: jobsPath(projectId),
      projectId,
      query: {
        filename: source.name,
        sourceId: opts.sourceId,
        sourcePath: opts.sourcePath,
        isDeepScan: opts.isDeepScan,
        chunkSize: opts.chunkSize,
        chunkOverlap: opts.chunkOverlap,
        batchId: opts.batchId,
      },
      headers,
      body: () => {
        const body = source.open();
        const progress = opts.onUploadProgress;
        if (!progress) return body;
        progress(0, source.size);
        return counted(body, (sent) => progress(sent, source.size));
      },
      retry: opts.idempotencyKey !== undefined && source.replayable,
      signal: opts.signal,
    });
    return { job: (await res.json()) as Job, created: res.status === 201 };
  }

  async get(id: string, opts: ProjectOption & { signal?: AbortSignal } = {}): Promise<Job> {
    const projectId = this.host.project(opts);
    return this.http.json<Job>({ method: "GET", path: jobPath(projectId, id), projectId, retry: true, signal: opts.signal });
  }

  /** One page of jobs, newest first. */
  async list(opts: ListJobsOptions = {}): Promise<JobList> {
    const { projectId: _p, ...query } = opts;
    const projectId = this.host.project(opts);
    return this.http.json<JobList>({ method: "GET", path: jobsPath(projectId), projectId, query, retry: true });
  }

  /** Every job matching the filters, across pages. */
  iterate(opts: Omit<ListJobsOptions, "cursor"> = {}): AsyncGenerator<Job> {
    return everyItem((cursor) => this.list({ ...opts, cursor }));
  }

  async cancel(id: string, opts: ProjectOption = {}): Promise<Job> {
    const projectId = this.host.project(opts);
    return this.http.json<Job>({ method: "POST", path: `${jobPath(projectId, id)}/cancel`, projectId, retry: true });
  }

  /**
   * Resumes a FAILED job from its last checkpoint (RUNNING again, a `job.retried` event).
   * The service answers 400 for a job that is not FAILED or whose failure a retry cannot
   * mend (`isRetryableCode(job.errors.at(-1).code)` says which beforehand).
   */
  async retry(id: string, opts: ProjectOption = {}): Promise<Job> {
    const projectId = this.host.project(opts);
    return this.http.json<Job>({ method: "POST", path: `${jobPath(projectId, id)}/retry`, projectId, retry: true });
  }

  /**
   * Which files are already ingested with the given options: one answer per item, in
   * order, with the newest COMPLETED job and its document (nulls when none). At most
   * `MAX_LOOKUP_ITEMS` (1,000) items per call.
   */
  async lookup(items: LookupItem[], opts: ProjectOption & { signal?: AbortSignal } = {}): Promise<LookupResult[]> {
    const projectId = this.host.project(opts);
    const body = JSON.stringify({ items });
    const reply = await this.http.json<{ items: LookupResult[] }>({
      method: "POST",
      path: `${ingestPath(projectId)}/lookup`,
      projectId,
      headers: { "Content-Type": "application/json" },
      body: () => body,
      retry: true,
      signal: opts.signal,
    });
    return reply.items;
  }

  async delete(id: string, opts: ProjectOption = {}): Promise<void> {
    const projectId = this.host.project(opts);
    await this.http.send({ method: "DELETE", path: jobPath(projectId, id), projectId, retry: true });
  }

  /** The stored event log after `after` (no socket). */
  async log(id: string, opts: ProjectOption & { after?: number } = {}): Promise<{ items: JobEvent[]; lastSeq: number }> {
    const projectId = this.host.project(opts);
    return this.http.json({ method: "GET", path: `${jobPath(projectId, id)}/events`, projectId, query: { after: opts.after }, retry: true });
  }

  /**
   * The job's live frames (a `job.snapshot` first unless `after` is given), each exactly
   * once across dropped sockets; ends after the job's last event (completed, failed,
   * cancelled or deleted). Without sockets, the stored log is polled instead.
   */
  events(id: string, opts: EventsOptions = {}): AsyncGenerator<JobFrame> {
    return opts.after === undefined ? this.liveEvents(id, opts) : this.eventsAfter(id, opts.after, opts);
  }

  /**
   * Events after `after`: a finished job's stored log, which then ends (its socket would
   * have nothing left to send, whatever `after` says); a live job's stream otherwise.
   */
  private async *eventsAfter(id: string, after: number, opts: EventsOptions): AsyncGenerator<JobFrame> {
    const projectId = this.host.project(opts);
    const job = await this.get(id, { projectId, signal: opts.signal });
    if (!isTerminal(job.status)) return yield* this.liveEvents(id, opts);
    for (let from = after; ; ) {
      const page = await this.log(id, { projectId, after: from });
      const fresh = page.items.filter((e) => e.seq > from);
      if (fresh.length === 0) return;
      for (const e of fresh) yield e;
      from = fresh[fresh.length - 1]!.seq;
    }
  }

  private liveEvents(id: string, opts: EventsOptions): AsyncGenerator<JobFrame> {
    const projectId = this.host.project(opts);
    const http = this.http;
    const pollMs = opts.pollMs ?? 1_000;
    const log = (after: number) => this.log(id, { projectId, after });
    return liveStream<JobFrame>(
      {
        async url(position) {
          const ws = http.url(`${jobPath(projectId, id)}/events`, { after: position ?? undefined, access_token: await http.token() });
          return ws.replace(/^http/, "ws");
        },
        position: (f) => f.seq,
        isSnapshot: (f) => f.type === "job.snapshot",
        isLast: isDone,
        coalesced: (f) => ("coalesced" in f && typeof f.coalesced === "number" ? f.coalesced : 0),
        fill: async (after, before) => (await log(after)).items.filter((e) => e.seq < before),
        probe: async () => void (await log(Number.MAX_SAFE_INTEGER)),
        endOnNormalClose: true,
        fallback: (position, signal) => followLog(log, isDone, position, pollMs, signal),
      },
      { WebSocket: this.host.WebSocket, ...opts, after: opts.after },
    );
  }

  /**
   * Resolves with the finished job (COMPLETED, FAILED or CANCELLED). Follows the job's
   * WebSocket; where sockets are unavailable, polls with `If-None-Match`, so an
   * unchanged job costs a 304.
   */
  async wait(id: string, opts: WaitOptions = {}): Promise<Job> {
    const projectId = this.host.project(opts);
    return waitFor<Job, JobFrame>(
      {
        events: () => this.events(id, { projectId, signal: opts.signal }),
        isLast: isDone,
        onFrame: (frame) => opts.onProgress?.(frame.job),
        read: () => this.get(id, { projectId }),
        poll: () => this.poll(id, projectId, opts),
      },
      { WebSocket: this.host.WebSocket, signal: opts.signal },
    );
  }

  private async poll(id: string, projectId: string, opts: WaitOptions): Promise<Job> {
    let etag: string | null = null;
    let job: Job | undefined;
    for (;;) {
      const res = await this.http.send({
        method: "GET",
        path: jobPath(projectId, id),
        projectId,
        headers: etag ? { "If-None-Match": etag } : {},
        retry: true,
        pass: [304],
        signal: opts.signal,
      });
      if (res.status !== 304) {
        etag = res.headers.get("ETag");
        job = (await res.json()) as Job;
        opts.onProgress?.(job);
      }
      if (job && isTerminal(job.status)) return job;
      await sleep(opts.pollMs ?? 1_000, opts.signal);
    }
  }
}
