/**
 * The SDK under Node (`edge-ingest/client` resolves here in Node): everything the core
 * has, plus file paths for `jobs.create`, read lazily from disk (`fs.openAsBlob`), so a
 * retry re-reads the file and memory stays flat whatever its size. Where Node has no
 * global `WebSocket` (Node 20), live streams open their sockets with the `ws` package
 * rather than falling back to polling.
 */
import { openAsBlob } from "node:fs";
import { WebSocket as NodeWebSocket } from "ws";
import { EdgeIngest as CoreEdgeIngest, type EdgeIngestOptions } from "./index";
import type { WebSocketConstructor } from "./live";

export class EdgeIngest extends CoreEdgeIngest {
  constructor(options: EdgeIngestOptions) {
    const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    super({ ...options, WebSocket: options.WebSocket === undefined && !global ? (NodeWebSocket as unknown as WebSocketConstructor) : options.WebSocket });
  }

  override async openPath(path: string): Promise<Blob> {
    return openAsBlob(path);
  }
}

export * from "./index";
