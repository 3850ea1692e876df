/**
 * The seed's arXiv ingestion route (DESIGN §14): `POST /api/v1/ingestion/arxiv` starts an
 * arXiv harvest, a batch of kind `arxiv`, from the same fields as
 * `POST /api/projects/{p}/ingest/batches {"kind":"arxiv",…}` in snake_case plus
 * `project_id`, and answers with the seed's status shape (`GET /api/v1/ingestion/job/{id}`).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { checkArxivRequest } from "../arxiv/request";
import type { BatchInit } from "../batches/lifecycle";
import { BatchOptionsInput } from "../contract/batch";
import { CompatJob } from "../contract/compat";
import { ApiRequestHeaders, apiResponseHeaders } from "../contract/headers";
import { problems } from "../contract/problem";
import type { AppEnv } from "../http/app-env";
import { badRequest } from "../http/problem";
import { PROJECT_ID_PATTERN, PROJECT_ID_RULE } from "../http/project-id";
import { uuidv7 } from "../jobs/ids";
import { DEFAULT_CHUNK_OPTIONS, validateChunkOptions } from "../pipeline/chunker";
import { enterProject } from "./access";
import { batchStub } from "./batches";
import { toSeedBatch } from "./compat";
import { validationHook } from "./validation";

export const arxivRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: "dates must be YYYY-MM-DD" });

const SeedArxivBody = z
  .object({
    // The id is charged to a rate limit and put in paths: the same rule as a path's projectId.
    project_id: z.string({ error: "project_id is required" }).regex(PROJECT_ID_PATTERN, { error: PROJECT_ID_RULE.replace("projectId", "project_id") }),
    query: z.string().trim().min(1, { error: "query must not be empty" }).max(1000).optional(),
    id_list: z.array(z.string().trim().min(1).max(64)).min(1, { error: "id_list must list at least one id" }).optional(),
    submitted_from: isoDate.optional(),
    submitted_to: isoDate.optional(),
    max_results: z.number({ error: "max_results must be an integer" }).int({ error: "max_results must be an integer" }).min(1).optional(),
    process_pdfs: z.boolean({ error: "process_pdfs must be true or false" }).optional(),
    options: BatchOptionsInput.optional(),
  })
  .strict()
  .openapi("SeedArxivIngestion");

arxivRoutes.openapi(
  createRoute({
    method: "post",
    path: "/api/v1/ingestion/arxiv",
    summary: "Start an arXiv harvest (seed-compatible): a batch of kind arxiv",
    request: { headers: ApiRequestHeaders, body: { required: true, content: { "application/json": { schema: SeedArxivBody } } } },
    responses: {
      201: {
        description: "The harvest, in the seed's status shape",
        headers: apiResponseHeaders("Location"),
        content: { "application/json": { schema: CompatJob } },
      },
      ...problems(400, 401, 403, 415, 429),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const access = await enterProject(c, body.project_id, "create");
    const request = checkArxivRequest(c.env, {
      query: body.query,
      idList: body.id_list,
      submittedFrom: body.submitted_from,
      submittedTo: body.submitted_to,
      maxResults: body.max_results,
      processPdfs: body.process_pdfs,
    });
    const chunkSize = body.options?.chunkSize ?? DEFAULT_CHUNK_OPTIONS.size;
    const chunkOverlap = body.options?.chunkOverlap ?? Math.min(DEFAULT_CHUNK_OPTIONS.overlap, Math.floor(chunkSize / 10));
    const optionProblem = validateChunkOptions({ size: chunkSize, overlap: chunkOverlap });
    if (optionProblem) throw badRequest(optionProblem);
    const id = uuidv7();
    const init: BatchInit = {
      id,
      projectId: body.project_id,
      kind: "arxiv",
      options: { chunkSize, chunkOverlap, isDeepScan: body.options?.isDeepScan ?? false },
      source: { ...request },
      createdBy: access.principal.sub,
    };
    const batch = await batchStub(c.env, id).create(init, { arxiv: request });
    return c.json(toSeedBatch(batch), 201, { Location: `/api/v1/ingestion/job/${id}` });
  },
);

const GateStatus = z
  .object({
    nextRequestInMs: z.number().int().openapi({ description: "Until the gate may send its next request to arXiv (0: at once)" }),
    pausedForMs: z.number().int().openapi({ description: "Left of a pause from Retry-After or repeated 429s (0: none)" }),
    queued: z.number().int().openapi({ description: "Requests waiting at the gate, over every harvest" }),
  })
  .openapi("ArxivGateStatus");

arxivRoutes.openapi(
  createRoute({
    method: "get",
    path: "/api/v1/ingestion/arxiv/gate",
    summary: "The arXiv gate's wait: what a client shows as “next arXiv request in 2.1 s”",
    request: { headers: ApiRequestHeaders },
    responses: {
      200: { description: "The gate's wait", headers: apiResponseHeaders(), content: { "application/json": { schema: GateStatus } } },
      ...problems(401, 429),
    },
  }),
  async (c) => {
    const status = await c.env.ARXIV_GATE.getByName("arxiv").status();
    const queued = (status.holder ? 1 : 0) + Object.values(status.waiting).reduce((n, k) => n + k, 0);
    return c.json({ nextRequestInMs: Math.max(0, status.nextRequestAt - status.now), pausedForMs: Math.max(0, status.pausedUntil - status.now), queued }, 200);
  },
);
