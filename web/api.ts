/**
 * The dashboard's one door to the API (DESIGN §4): the SDK (`src/client`) for every call,
 * bound to the signed-in token and project, and one XMLHttpRequest for uploads (only it
 * reports upload progress in every browser). Every refusal is an `EdgeIngestError` whose
 * `detail` is the problem's own (RFC 9457), so the page shows exactly what the server said.
 */
import { EdgeIngest, EdgeIngestError, mediaTypeOf } from "../src/client/index";
import type {
  Batch,
  BatchItem,
  BatchItemList,
  BatchList,
  ChunkList,
  Document,
  DocumentFilters,
  DocumentList,
  Job,
  JobEvent,
  JobFilters,
  JobList,
} from "../src/client/types";

/** The Content-Type to send for a file: the browser's, else by its extension. */
export function uploadContentType(file: { name: string; type: string }): string {
  if (file.type) return file.type;
  return mediaTypeOf(file.name) ?? "application/octet-stream";
}

function problemOfXhr(xhr: XMLHttpRequest): EdgeIngestError {
  let detail = xhr.status ? `${xhr.status} ${xhr.statusText}` : "Network error";
  try {
    const body = JSON.parse(xhr.responseText) as { detail?: unknown };
    if (typeof body.detail === "string") detail = body.detail;
  } catch {
    // keep the status line
  }
  return new EdgeIngestError(xhr.status, detail, xhr.getResponseHeader("X-Request-Id"));
}

export interface Upload {
  /** Resolves with the created job (201, or 200 for an idempotent replay). */
  done: Promise<Job>;
  abort(): void;
}

export class Api {
  readonly client: EdgeIngest;

  constructor(
    readonly token: string,
    readonly projectId: string,
    /** Called on a 401: the token expired or was refused, so the session is over. */
    private readonly onUnauthorized: () => void = () => undefined,
    origin = location.origin,
  ) {
    // A person is waiting: a refusal is shown after a short retry rather than waited out.
    this.client = new EdgeIngest({ baseUrl: origin, token, projectId, maxRetries: 2, maxRetryDelayMs: 5_000 });
  }

  /** The URL of a path under the project, as the SDK builds it. */
  private url(path: string, query: Record<string, string | number | undefined>): string {
    return this.client.transport.url(`/api/projects/${encodeURIComponent(this.projectId)}${path}`, query);
  }

  /** Runs one SDK call; a 401 ends the session before the error reaches the view. */
  private async call<T>(run: (client: EdgeIngest) => Promise<T>): Promise<T> {
    try {
      return await run(this.client);
    } catch (err) {
      if (err instanceof EdgeIngestError && err.status === 401) this.onUnauthorized();
      throw err;
    }
  }

  listJobs(filters: JobFilters, cursor?: string | null, limit = 50): Promise<JobList> {
    return this.call((c) => c.jobs.list({ ...filters, cursor: cursor ?? undefined, limit }));
  }

  getJob(jobId: string): Promise<Job> {
    return this.call((c) => c.jobs.get(jobId));
  }

  cancelJob(jobId: string): Promise<Job> {
    return this.call((c) => c.jobs.cancel(jobId));
  }

  deleteJob(jobId: string): Promise<void> {
    return this.call((c) => c.jobs.delete(jobId));
  }

  /**
   * Resumes a failed job from its last checkpoint (`POST /jobs/{id}/retry`), through the
   * SDK's transport. Null when this server has no such route (404/405), so the view can
   * stop offering it.
   */
  async retryJob(jobId: string): Promise<Job | null> {
    const path = `/api/projects/${encodeURIComponent(this.projectId)}/ingest/jobs/${encodeURIComponent(jobId)}/retry`;
    const res = await this.call((c) => c.transport.send({ method: "POST", path, retry: false, projectId: this.projectId, pass: [404, 405] }));
    if (res.status === 404 || res.status === 405) {
      const body = (await res.json().catch(() => ({}))) as { detail?: unknown };
      // The service answers a path it has no route for with "No route for …"; any other
      // 404 is about the job itself.
      const detail = typeof body.detail === "string" ? body.detail : "";
      if (res.status === 404 && !detail.startsWith("No route")) throw new EdgeIngestError(404, detail || "Job not found");
      return null;
    }
    return (await res.json()) as Job;
  }

  jobEvents(jobId: string, after = 0): Promise<{ items: JobEvent[]; lastSeq: number }> {
    return this.call((c) => c.jobs.log(jobId, { after }));
  }

  listDocuments(filters: DocumentFilters, cursor?: string | null, limit = 50): Promise<DocumentList> {
    return this.call((c) => c.documents.list({ ...filters, cursor: cursor ?? undefined, limit }));
  }

  getDocument(documentId: string): Promise<Document> {
    return this.call((c) => c.documents.get(documentId));
  }

  documentText(documentId: string): Promise<string> {
    return this.call((c) => c.documents.text(documentId));
  }

  chunks(documentId: string, cursor?: string | null, limit = 100): Promise<ChunkList> {
    return this.call((c) => c.documents.chunks(documentId, { cursor: cursor ?? undefined, limit }));
  }

  /**
   * Uploads one file on the raw streaming route (`?filename=`, the file's Content-Type).
   * XMLHttpRequest, not fetch: only it reports upload progress (`upload.onprogress`).
   */
  upload(file: File, onProgress: (sent: number, total: number) => void): Upload {
    const xhr = new XMLHttpRequest();
    const done = new Promise<Job>((resolve, reject) => {
      xhr.open("POST", this.url("/ingest/jobs", { filename: file.name }));
      xhr.setRequestHeader("Authorization", `Bearer ${this.token}`);
      xhr.setRequestHeader("Content-Type", uploadContentType(file));
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
      xhr.onload = () => {
        if (xhr.status === 200 || xhr.status === 201) return resolve(JSON.parse(xhr.responseText) as Job);
        if (xhr.status === 401) this.onUnauthorized();
        reject(problemOfXhr(xhr));
      };
      xhr.onerror = () => reject(problemOfXhr(xhr));
      xhr.onabort = () => reject(new EdgeIngestError(0, "Upload stopped"));
      xhr.send(file);
    });
    return { done, abort: () => xhr.abort() };
  }

  listBatches(cursor?: string | null, limit = 50): Promise<BatchList> {
    return this.call((c) => c.batches.list({ cursor: cursor ?? undefined, limit }));
  }

  getBatch(batchId: string): Promise<Batch> {
    return this.call((c) => c.batches.get(batchId));
  }

  batchItems(batchId: string, status: BatchItem["status"] | null, cursor?: string | null, limit = 100): Promise<BatchItemList> {
    return this.call((c) => c.batches.itemsPage(batchId, { status: status ?? undefined, cursor: cursor ?? undefined, limit }));
  }

  /** `cancel` or `retry`: the batch after the command. */
  batchCommand(batchId: string, verb: "cancel" | "retry"): Promise<Batch> {
    return this.call((c) => c.batches[verb](batchId));
  }

  /** The WebSocket URL of the project stream, or of one job's or batch's events. */
  socketUrl(path: "events" | `jobs/${string}/events` | `batches/${string}/events`, after: number | null): string {
    return this.url(`/ingest/${path}`, { access_token: this.token, after: after ?? undefined }).replace(/^http/, "ws");
  }
}

/** A message for any thrown value: the problem's detail when it is one. */
export function errorDetail(err: unknown): string {
  if (err instanceof EdgeIngestError) return err.detail;
  return err instanceof Error ? err.message : String(err);
}
