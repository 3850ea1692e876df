/**
 * `edge-ingest/client`: a typed SDK for the edge-ingest API. Runs on Node ≥ 22, in
 * browsers and in Workers (fetch, WebSocket and web streams only); the Node entry
 * (`edge-ingest/client` under Node) adds file paths.
 *
 *   const client = new EdgeIngest({ baseUrl: "http://localhost:8787", token, projectId: "demo" });
 *   const job = await client.jobs.create(file, { idempotencyKey });
 *   const done = await client.jobs.wait(job.id, { onProgress: (j) => console.log(j.progress) });
 *   const harvest = await client.arxiv.harvest({ query: "cat:cs.IR AND ti:retrieval", maxResults: 200 });
 */
import { Arxiv } from "./arxiv";
import { Batches } from "./batches";
import { Documents } from "./documents";
import { Jobs, type ProjectOption } from "./jobs";
import type { WebSocketConstructor } from "./live";
import { Projects } from "./projects";
import { Transport, type TransportOptions } from "./transport";

export interface EdgeIngestOptions extends TransportOptions {
  /** The project of every project-scoped call that does not name one. */
  projectId?: string;
  /** A WebSocket implementation where there is no global one (e.g. the `ws` package); `null`: never open sockets (poll). */
  WebSocket?: WebSocketConstructor | null;
}

export class EdgeIngest {
  readonly jobs: Jobs;
  readonly batches: Batches;
  readonly arxiv: Arxiv;
  readonly documents: Documents;
  readonly projects: Projects;
  readonly transport: Transport;
  readonly projectId: string | undefined;
  readonly WebSocket: WebSocketConstructor | null | undefined;

  constructor(options: EdgeIngestOptions) {
    if (!options.baseUrl) throw new TypeError("EdgeIngest needs a baseUrl");
    this.transport = new Transport(options);
    this.projectId = options.projectId;
    this.WebSocket = options.WebSocket;
    this.jobs = new Jobs(this);
    this.batches = new Batches(this);
    this.arxiv = new Arxiv(this, this.batches);
    this.documents = new Documents(this);
    this.projects = new Projects(this);
  }

  /** The project a call addresses: its own `projectId`, else the client's. */
  project(opts: ProjectOption = {}): string {
    const projectId = opts.projectId ?? this.projectId;
    if (!projectId) throw new TypeError("No projectId: pass { projectId } or set it on the client");
    return projectId;
  }

  /** Opens a file path as a Blob; only the Node entry can. */
  openPath?(path: string): Promise<Blob>;

  /** `GET /health`. */
  async health(): Promise<{ status: string }> {
    return this.transport.json({ method: "GET", path: "/health", retry: true });
  }
}

export { EdgeIngestError } from "./errors";
export type { RetryNotice, TransportOptions } from "./transport";
export type { CreateJobOptions, EventsOptions, ListJobsOptions, ProjectOption, Submitted, WaitOptions } from "./jobs";
export type { ProjectEventsOptions } from "./projects";
export type { BatchEventsOptions, BatchOptions, BatchWaitOptions, CreateBatchOptions, ListBatchesOptions, ListItemsOptions } from "./batches";
export type { FileInput, SizedStream } from "./upload-body";
export { harvestStats, HARVEST_COUNTERS, ranQuery } from "./arxiv";
export type { ArxivGateStatus, HarvestRequest, HarvestStats, SeedJob } from "./arxiv";
export { mediaTypeOf, MEDIA_TYPES } from "./upload-body";
export * from "./types";
