/**
 * `POST /lookup`: which files are already ingested with given options, for up to
 * `MAX_LOOKUP_ITEMS` files in one request, so a client uploads only the rest.
 */
import { z } from "@hono/zod-openapi";
import { MAX_LOOKUP_ITEMS } from "./lookup-size";

/** One file: its SHA-256 and the options it would be ingested with (defaults as for `POST /jobs`). */
export const LookupItem = z
  .object({
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, { error: "sha256 must be 64 hex digits (the file's SHA-256)" }),
    chunkSize: z.number().int().optional(),
    chunkOverlap: z.number().int().optional(),
    isDeepScan: z.boolean().optional(),
    sourceId: z.string().min(1).max(200).optional(),
  })
  .openapi("LookupItem");

export const LookupRequest = z
  .object({
    items: z
      .array(LookupItem)
      .min(1)
      .max(MAX_LOOKUP_ITEMS, { error: `at most ${MAX_LOOKUP_ITEMS} items per lookup; send the rest in another` }),
  })
  .openapi("LookupRequest");

/** The answer for the request's item at the same index: the newest COMPLETED job with its fingerprint, or nulls. */
export const LookupResult = z
  .object({
    fingerprint: z.string(),
    jobId: z.string().nullable(),
    documentId: z.string().nullable(),
  })
  .openapi("LookupResult");

export const LookupResponse = z.object({ items: z.array(LookupResult) }).openapi("LookupResponse");
export type LookupResponse = z.infer<typeof LookupResponse>;
