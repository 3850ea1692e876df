/**
 * The SDK under Node (`edge-ingest/client` resolves here in Node): everything the core
 * has, plus file paths for `jobs.create`, read lazily from disk (`fs.openAsBlob`), so a
 * retry re-reads the file and memory stays flat whatever its size.
 */
import { openAsBlob } from "node:fs";
import { EdgeIngest as CoreEdgeIngest } from "./index";

export class EdgeIngest extends CoreEdgeIngest {
  override async openPath(path: string): Promise<Blob> {
    return openAsBlob(path);
  }
}

export * from "./index";
