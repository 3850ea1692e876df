/** The file's SHA-256, streamed from disk. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The options a job's result depends on: a rerun with other values must make new jobs. */
export interface IngestOptions {
  chunkSize?: number;
  chunkOverlap?: number;
  isDeepScan?: boolean;
  sourceId?: string;
}

/**
 * The upload's `Idempotency-Key`: the file's hash and the options that change its
 * result, so the same file with the same options is found again (no second job) and the
 * same file with new options makes a new job.
 */
export function ingestKey(fileHash: string, o: IngestOptions): string {
  const options = JSON.stringify([o.chunkSize ?? null, o.chunkOverlap ?? null, o.isDeepScan === true, o.sourceId ?? null]);
  return createHash("sha256").update(`${fileHash}\n${options}`).digest("hex");
}
