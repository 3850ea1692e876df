/**
 * A job's fingerprint: the uploaded file's SHA-256 and the options its result depends on
 * (chunk size and overlap, deep scan, sourceId), after defaults. Two uploads with the
 * same fingerprint make the same document, so an `Idempotency-Key` reused with another
 * fingerprint is a conflict, and a lookup by fingerprint finds a file already ingested.
 */
import { toHex } from "../bytes";
import { badRequest } from "../http/problem";
import { DEFAULT_CHUNK_OPTIONS, validateChunkOptions } from "../pipeline/chunker";
import type { JobOptions } from "./lifecycle";

/** What the fingerprint covers besides the file (`isDeepScan` false and `sourceId` null when absent). */
export interface FingerprintedOptions {
  options: JobOptions;
  isDeepScan?: boolean;
  sourceId?: string | null;
}

/** Hex SHA-256 over the file's hex SHA-256 and the options, in a fixed order. */
export async function ingestFingerprint(fileSha256: string, o: FingerprintedOptions): Promise<string> {
  const options = JSON.stringify([o.options.chunkSize, o.options.chunkOverlap, o.isDeepScan === true, o.sourceId ?? null]);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${fileSha256.toLowerCase()}\n${options}`));
  return toHex(digest);
}

/** A request's chunking options with their defaults; 400 when they do not fit together. */
export function chunkOptions(f: { chunkSize?: number; chunkOverlap?: number }): JobOptions {
  const chunkSize = f.chunkSize ?? DEFAULT_CHUNK_OPTIONS.size;
  const chunkOverlap = f.chunkOverlap ?? Math.min(DEFAULT_CHUNK_OPTIONS.overlap, Math.floor(chunkSize / 10));
  const problem = validateChunkOptions({ size: chunkSize, overlap: chunkOverlap });
  if (problem) throw badRequest(problem);
  return { chunkSize, chunkOverlap };
}
