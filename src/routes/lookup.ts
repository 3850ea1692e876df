/**
 * `POST /api/projects/{projectId}/ingest/lookup`: which of up to 1,000 files are already
 * ingested with the given options (a COMPLETED job with the same fingerprint), so a client
 * uploads only the rest. One D1 query on the project's shard.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { ApiRequestHeaders, apiResponseHeaders } from "../contract/headers";
import { LookupRequest, LookupResponse } from "../contract/lookup";
import { ProjectParams } from "../contract/params";
import { problems } from "../contract/problem";
import { projectSession } from "../http/bookmark";
import type { AppEnv } from "../http/app-env";
import { badRequest, Problem } from "../http/problem";
import { chunkOptions, ingestFingerprint } from "../jobs/fingerprint";
import { findIngestedJobs } from "../jobs/job-index";
import { enterProject } from "./access";
import { validationHook } from "./validation";

export const lookupRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

lookupRoutes.openapi(
  createRoute({
    method: "post",
    path: "/api/projects/{projectId}/ingest/lookup",
    summary: "Which files are already ingested with these options",
    description:
      "Up to 1,000 files, each its SHA-256 and the options it would be uploaded with (defaults as for `POST /jobs`). Each answer, at its item's index, names the newest COMPLETED job with the same fingerprint and its document, or nulls.",
    request: { params: ProjectParams, headers: ApiRequestHeaders, body: { required: true, content: { "application/json": { schema: LookupRequest } } } },
    responses: {
      200: { description: "One answer per item, in order", headers: apiResponseHeaders(), content: { "application/json": { schema: LookupResponse } } },
      ...problems(400, 401, 403, 415, 429),
    },
  }),
  async (c) => {
    const { projectId } = c.req.valid("param");
    await enterProject(c, projectId, "read");
    const { items } = c.req.valid("json");
    const fingerprints = await Promise.all(
      items.map(async (item, i) => {
        try {
          return await ingestFingerprint(item.sha256, { options: chunkOptions(item), isDeepScan: item.isDeepScan, sourceId: item.sourceId });
        } catch (err) {
          throw err instanceof Problem ? badRequest(`items[${i}]: ${err.detail}`) : err;
        }
      }),
    );
    const found = await findIngestedJobs(projectSession(c, projectId), projectId, [...new Set(fingerprints)]);
    return c.json(
      { items: fingerprints.map((f) => ({ fingerprint: f, jobId: found.get(f)?.jobId ?? null, documentId: found.get(f)?.documentId ?? null })) },
      200,
    );
  },
);
