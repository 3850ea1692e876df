/** The seed service's job shape, served by the compatibility routes. */
import { z } from "@hono/zod-openapi";

export const CompatJob = z
  .object({
    job_id: z.string(),
    status: z.enum(["pending", "running", "completed", "failed", "cancelled"]),
    progress: z.object({
      papers_fetched: z.number().int(),
      papers_created: z.number().int(),
      papers_updated: z.number().int(),
      pdfs_downloaded: z.number().int(),
      pdfs_processed: z.number().int(),
      errors: z.array(z.string()).openapi({ description: "The error messages (the seed's example: `[]`)" }),
    }),
    created_at: z.string(),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    errors: z.array(z.object({ timestamp: z.string(), error: z.string(), stage: z.string() })),
    // Counters, and for an arXiv harvest its canonical query (a string).
    stats: z.record(z.string(), z.union([z.number(), z.string()])),
  })
  .openapi("CompatJob");
export type CompatJob = z.infer<typeof CompatJob>;

export const CompatCancelled = z.object({ message: z.string() }).openapi("CompatCancelled");
