/**
 * The dashboard's one door to the API (DESIGN §4). Every call carries the bearer token;
 * every refusal becomes an `ApiError` whose `detail` is the problem's own (RFC 9457), so
 * the page can show exactly what the server said. Kept small and typed so it can switch
 * to the generated SDK (`src/client`) without touching the views.
 */
import { typeByExtension } from "../src/uploads/sniff";
import type { Batch, BatchItem, BatchItemStatus, Chunk, DocumentInfo, Job, JobFilters, JobFrame, Page } from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly requestId: string | null = null,
  ) {
    super(detail);
  }
}

/** The Content-Type to send for a file: the browser's, else by its extension. */
export function uploadContentType(file: { name: string; type: string }): string {
  if (file.type) return file.type;
  return typeByExtension(file.name) ?? "application/octet-stream";
}

async function problemOf(res: Response): Promise<ApiError> {
  let detail = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { detail?: unknown };
    if (typeof body.detail === "string") detail = body.detail;
  } catch {
    // not a problem document: keep the status line
  }
  return new ApiError(res.status, detail, res.headers.get("X-Request-Id"));
}

function problemOfXhr(xhr: XMLHttpRequest): ApiError {
  let detail = xhr.status ? `${xhr.status} ${xhr.statusText}` : "Network error";
  try {
    const body = JSON.parse(xhr.responseText) as { detail?: unknown };
    if (typeof body.detail === "string") detail = body.detail;
  } catch {
    // keep the status line
  }
  return new ApiError(xhr.status, detail, xhr.getResponseHeader("X-Request-Id"));
}

export interface Upload {
  /** Resolves with the created job (201, or 200 for an idempotent replay). */
  done: Promise<Job>;
  abort(): void;
}

export class Api {
  constructor(
    readonly token: string,
    readonly projectId: string,
    /** Called on a 401: the token expired or was refused, so the session is over. */
    private readonly onUnauthorized: () => void = () => undefined,
    private readonly origin = location.origin,
  ) {}

  private get base() {
    return `${this.origin}/api/projects/${encodeURIComponent(this.projectId)}`;
  }

  private async request<T>(path: string, init: RequestInit = {}, parse: "json" | "text" | "none" = "json"): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${this.token}`, ...(init.headers as Record<string, string> | undefined) },
    });
    if (res.status === 401) this.onUnauthorized();
    if (!res.ok) throw await problemOf(res);
    if (parse === "none") return undefined as T;
    return (parse === "text" ? await res.text() : await res.json()) as T;
  }

  listJobs(filters: JobFilters, cursor?: string | null, limit = 50): Promise<Page<Job>> {
    const q = new URLSearchParams({ limit: String(limit) });
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    if (cursor) q.set("cursor", cursor);
    return this.request(`/ingest/jobs?${q}`);
  }

  getJob(jobId: string): Promise<Job> {
    return this.request(`/ingest/jobs/${encodeURIComponent(jobId)}`);
  }

  cancelJob(jobId: string): Promise<Job> {
    return this.request(`/ingest/jobs/${encodeURIComponent(jobId)}/cancel`, { method: "POST" });
  }

  deleteJob(jobId: string): Promise<void> {
    return this.request(`/ingest/jobs/${encodeURIComponent(jobId)}`, { method: "DELETE" }, "none");
  }

  jobEvents(jobId: string, after = 0): Promise<{ items: JobFrame[]; lastSeq: number }> {
    return this.request(`/ingest/jobs/${encodeURIComponent(jobId)}/events?after=${after}`);
  }

  getDocument(documentId: string): Promise<DocumentInfo> {
    return this.request(`/documents/${encodeURIComponent(documentId)}`);
  }

  documentText(documentId: string): Promise<string> {
    return this.request(`/documents/${encodeURIComponent(documentId)}/text`, {}, "text");
  }

  chunks(documentId: string, cursor?: string | null, limit = 100): Promise<Page<Chunk>> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set("cursor", cursor);
    return this.request(`/documents/${encodeURIComponent(documentId)}/chunks?${q}`);
  }

  /**
   * Uploads one file on the raw streaming route (`?filename=`, the file's Content-Type).
   * XMLHttpRequest, not fetch: only it reports upload progress (`upload.onprogress`).
   */
  upload(file: File, onProgress: (sent: number, total: number) => void): Upload {
    const xhr = new XMLHttpRequest();
    const done = new Promise<Job>((resolve, reject) => {
      xhr.open("POST", `${this.base}/ingest/jobs?${new URLSearchParams({ filename: file.name })}`);
      xhr.setRequestHeader("Authorization", `Bearer ${this.token}`);
      xhr.setRequestHeader("Content-Type", uploadContentType(file));
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
      xhr.onload = () => {
        if (xhr.status === 200 || xhr.status === 201) return resolve(JSON.parse(xhr.responseText) as Job);
        if (xhr.status === 401) this.onUnauthorized();
        reject(problemOfXhr(xhr));
      };
      xhr.onerror = () => reject(problemOfXhr(xhr));
      xhr.onabort = () => reject(new ApiError(0, "Upload stopped"));
      xhr.send(file);
    });
    return { done, abort: () => xhr.abort() };
  }

  listBatches(cursor?: string | null, limit = 50): Promise<Page<Batch>> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set("cursor", cursor);
    return this.request(`/ingest/batches?${q}`);
  }

  getBatch(batchId: string): Promise<Batch> {
    return this.request(`/ingest/batches/${encodeURIComponent(batchId)}`);
  }

  batchItems(batchId: string, status: BatchItemStatus | null, cursor?: string | null, limit = 100): Promise<Page<BatchItem>> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (status) q.set("status", status);
    if (cursor) q.set("cursor", cursor);
    return this.request(`/ingest/batches/${encodeURIComponent(batchId)}/items?${q}`);
  }

  /** `cancel` or `retry`: the batch after the command. */
  batchCommand(batchId: string, verb: "cancel" | "retry"): Promise<Batch> {
    return this.request(`/ingest/batches/${encodeURIComponent(batchId)}/${verb}`, { method: "POST" });
  }

  /** The WebSocket URL of the project stream, or of one job's or batch's events. */
  socketUrl(path: "events" | `jobs/${string}/events` | `batches/${string}/events`, after: number | null): string {
    const url = new URL(`${this.base}/ingest/${path}`);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("access_token", this.token);
    if (after !== null) url.searchParams.set("after", String(after));
    return url.toString();
  }
}

/** A message for any thrown value: the problem's detail when it is one. */
export function errorDetail(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  return err instanceof Error ? err.message : String(err);
}
