/** `client.documents`: what completed jobs produced — list, read, text, chunks, delete. */
import { everyItem } from "./pages";
import type { ProjectOption } from "./jobs";
import type { Transport } from "./transport";
import type { Chunk, ChunkList, Document, DocumentFilters, DocumentList } from "./types";

const enc = encodeURIComponent;
const docsPath = (projectId: string) => `/api/projects/${enc(projectId)}/documents`;
const docPath = (projectId: string, id: string) => `${docsPath(projectId)}/${enc(id)}`;

export interface DocumentsHost {
  transport: Transport;
  project(opts?: ProjectOption): string;
}

export class Documents {
  constructor(private readonly host: DocumentsHost) {}

  /** One page of the project's documents, newest first. */
  async list(opts: ProjectOption & DocumentFilters & { cursor?: string } = {}): Promise<DocumentList> {
    const { projectId: _p, ...query } = opts;
    const projectId = this.host.project(opts);
    return this.host.transport.json<DocumentList>({ method: "GET", path: docsPath(projectId), projectId, query, retry: true });
  }

  /** Every document matching the filters, across pages. */
  iterate(opts: ProjectOption & DocumentFilters = {}): AsyncGenerator<Document> {
    return everyItem((cursor) => this.list({ ...opts, cursor }));
  }

  async get(id: string, opts: ProjectOption = {}): Promise<Document> {
    const projectId = this.host.project(opts);
    return this.host.transport.json<Document>({ method: "GET", path: docPath(projectId, id), projectId, retry: true });
  }

  /** The extracted plain text. */
  async text(id: string, opts: ProjectOption = {}): Promise<string> {
    return (await this.textResponse(id, opts)).text();
  }

  /** The extracted plain text as a stream (large documents). */
  async textStream(id: string, opts: ProjectOption = {}): Promise<ReadableStream<Uint8Array>> {
    const res = await this.textResponse(id, opts);
    if (!res.body) throw new Error("The text response has no body");
    return res.body;
  }

  /** One page of chunks, in order. */
  async chunks(id: string, opts: ProjectOption & { cursor?: string; limit?: number } = {}): Promise<ChunkList> {
    const projectId = this.host.project(opts);
    return this.host.transport.json<ChunkList>({
      method: "GET",
      path: `${docPath(projectId, id)}/chunks`,
      projectId,
      query: { cursor: opts.cursor, limit: opts.limit },
      retry: true,
    });
  }

  /** Every chunk, in order, across pages. */
  iterateChunks(id: string, opts: ProjectOption & { limit?: number } = {}): AsyncGenerator<Chunk> {
    return everyItem((cursor) => this.chunks(id, { ...opts, cursor }));
  }

  /** Removes the document's text and chunks. */
  async delete(id: string, opts: ProjectOption = {}): Promise<void> {
    const projectId = this.host.project(opts);
    await this.host.transport.send({ method: "DELETE", path: docPath(projectId, id), projectId, retry: true });
  }

  private textResponse(id: string, opts: ProjectOption): Promise<Response> {
    const projectId = this.host.project(opts);
    return this.host.transport.send({ method: "GET", path: `${docPath(projectId, id)}/text`, projectId, retry: true });
  }
}
