/**
 * A project's retention (docs/retention.md), base `/api/projects/{projectId}/retention`:
 * every member reads it; an admin overrides the service's `RETENTION_DAYS` for the project
 * (`PUT`) or returns it to the default (`DELETE`). One D1 statement on the project's shard;
 * the shard's purger applies a change at its next pass (within the hour).
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { loadConfig } from "../config";
import { ApiRequestHeaders, apiResponseHeaders } from "../contract/headers";
import { ProjectParams } from "../contract/params";
import { problems } from "../contract/problem";
import { Retention, RetentionBody } from "../contract/retention";
import type { AppEnv } from "../http/app-env";
import { projectSession } from "../http/bookmark";
import { clearRetentionDays, findProjectSettings, retentionView, setRetentionDays } from "../retention/settings";
import { enterProject } from "./access";
import { validationHook } from "./validation";

export const retentionRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const PATH = "/api/projects/{projectId}/retention";

retentionRoutes.openapi(
  createRoute({
    method: "get",
    path: PATH,
    summary: "How long the project's finished jobs and batches are kept",
    request: { params: ProjectParams, headers: ApiRequestHeaders },
    responses: {
      200: { description: "The project's retention", headers: apiResponseHeaders(), content: { "application/json": { schema: Retention } } },
      ...problems(400, 401, 403, 429),
    },
  }),
  async (c) => {
    const { projectId } = c.req.valid("param");
    await enterProject(c, projectId, "read");
    const row = await findProjectSettings(projectSession(c, projectId), projectId);
    return c.json(retentionView(projectId, row, loadConfig(c.env).retention), 200);
  },
);

retentionRoutes.openapi(
  createRoute({
    method: "put",
    path: PATH,
    summary: "Keep the project's finished jobs and batches this many days (admin)",
    description:
      "Overrides `RETENTION_DAYS` for this project. Jobs and batches already past the new retention are purged at the shard's next pass (within the hour); documents are never purged by retention.",
    request: { params: ProjectParams, headers: ApiRequestHeaders, body: { required: true, content: { "application/json": { schema: RetentionBody } } } },
    responses: {
      200: { description: "The project's retention", headers: apiResponseHeaders(), content: { "application/json": { schema: Retention } } },
      ...problems(400, 401, 403, 415, 429),
    },
  }),
  async (c) => {
    const { projectId } = c.req.valid("param");
    await enterProject(c, projectId, "manageRetention");
    const { days } = c.req.valid("json");
    const row = await setRetentionDays(projectSession(c, projectId), projectId, days, c.get("principal").sub, Date.now());
    return c.json(retentionView(projectId, row, loadConfig(c.env).retention), 200);
  },
);

retentionRoutes.openapi(
  createRoute({
    method: "delete",
    path: PATH,
    summary: "Return the project to the service's default retention (admin)",
    request: { params: ProjectParams, headers: ApiRequestHeaders },
    responses: {
      200: { description: "The project's retention, now the default", headers: apiResponseHeaders(), content: { "application/json": { schema: Retention } } },
      ...problems(400, 401, 403, 429),
    },
  }),
  async (c) => {
    const { projectId } = c.req.valid("param");
    await enterProject(c, projectId, "manageRetention");
    await clearRetentionDays(projectSession(c, projectId), projectId);
    return c.json(retentionView(projectId, null, loadConfig(c.env).retention), 200);
  },
);
