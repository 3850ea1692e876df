/** The RFC 9457 problem every refusal is, and the OpenAPI entries of the statuses a route can refuse with. */
import { z } from "@hono/zod-openapi";
import { problemHeaders } from "./headers";

export const Problem = z
  .object({
    type: z.string().openapi({ example: "about:blank" }),
    title: z.string().openapi({ example: "Not Found" }),
    status: z.number().int().openapi({ example: 404 }),
    detail: z.string().openapi({ example: "Ingest job not found" }),
    instance: z.string().optional(),
  })
  .openapi("Problem", { description: "RFC 9457 problem details; `detail` is always present." });
export type Problem = z.infer<typeof Problem>;

/** The problem responses of a route, each with the headers a refusal of that status carries. */
export function problems(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [s, { description: `Problem (${s})`, headers: problemHeaders(s), content: { "application/problem+json": { schema: Problem } } }]),
  );
}
