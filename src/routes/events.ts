/**
 * Live events (DESIGN §5): per-job and per-project WebSockets, and the stored log as
 * JSON. Upgrades are authenticated and authorised here, before the object accepts the
 * socket, so a refused upgrade is an HTTP problem, never a socket that closes later.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../http/app-env";
import { Problem } from "../http/problem";
import { ACCESS_HEADER, EXPIRES_HEADER } from "../events/sockets";
import type { Access } from "../jobs/job-access";
import { enterProject, jobStub, PROJECT_MESSAGES, refusalProblem, requireJobId } from "./access";
import { apiResponseHeaders } from "../contract/headers";
import { EventsHeaders, EventsQuery, JobEventLog } from "../contract/job-event";
import { JobParams, ProjectParams } from "../contract/params";
import { problems } from "../contract/problem";
import { validationHook } from "./validation";

export const eventRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

export function isUpgrade(c: Context<AppEnv>): boolean {
  return c.req.header("Upgrade")?.toLowerCase() === "websocket";
}

/** The upgrade as an object should see it: the token's expiry, the caller, and `after` if given. */
export function forwardedUpgrade(c: Context<AppEnv>, after: number | null, access?: Access): Request {
  const url = new URL(c.req.url);
  url.search = after === null ? "" : `?after=${after}`;
  const headers: Record<string, string> = { Upgrade: "websocket", [EXPIRES_HEADER]: String(c.get("tokenExpiresAt")) };
  if (access) headers[ACCESS_HEADER] = JSON.stringify(access);
  return new Request(url, { headers });
}

eventRoutes.openapi(
  createRoute({
    method: "get",
    path: "/api/projects/{projectId}/ingest/jobs/{jobId}/events",
    summary: "A job's events: live over WebSocket (Upgrade), or the stored log as JSON",
    description:
      "With `Upgrade: websocket`: a `job.snapshot` frame, then every event as it is committed; with `?after=<seq>`, the missed events first instead of the snapshot. Without the upgrade: the stored log after `after`.",
    request: { params: JobParams, query: EventsQuery, headers: EventsHeaders },
    responses: {
      200: { description: "The stored event log", headers: apiResponseHeaders(), content: { "application/json": { schema: JobEventLog } } },
      101: { description: "Switching Protocols (WebSocket)", headers: apiResponseHeaders() },
      ...problems(400, 401, 403, 404, 429),
    },
    "x-websocket": {
      description: "One JSON frame per event: first a JobSnapshotFrame (or, with `?after=<seq>`, the missed events), then JobEvent frames; `seq` has no gaps.",
      frames: [{ $ref: "#/components/schemas/JobSnapshotFrame" }, { $ref: "#/components/schemas/JobEvent" }],
    },
  }),
  async (c) => {
    const { projectId, jobId } = c.req.valid("param");
    const { after } = c.req.valid("query");
    const access = await enterProject(c, projectId, "read");
    requireJobId(jobId, PROJECT_MESSAGES.notFound);
    const stub = jobStub(c.env, jobId);
    if (isUpgrade(c)) {
      // The object authorises and accepts in one call; a refusal is its problem response.
      return stub.fetch(forwardedUpgrade(c, c.req.query("after") === undefined ? null : after, access)) as unknown as Response;
    }
    const reply = await stub.events(access, after);
    if (!reply.ok) throw refusalProblem(reply, PROJECT_MESSAGES);
    return c.json({ items: reply.events, lastSeq: reply.lastSeq }, 200);
  },
);

eventRoutes.openapi(
  createRoute({
    method: "get",
    path: "/api/projects/{projectId}/ingest/events",
    summary: "Live events of every job in the project (WebSocket only)",
    description:
      "A `project.snapshot` frame (`projectSeq` and the project's QUEUED and RUNNING jobs), then every job frame with a `projectSeq` one more than the last. With `?after=<projectSeq>`, the frames missed since instead of the snapshot; when the hub no longer holds them all (it keeps at least 24 h or 10,000 frames), a fresh snapshot.",
    request: { params: ProjectParams, query: EventsQuery, headers: EventsHeaders },
    responses: { 101: { description: "Switching Protocols (WebSocket)", headers: apiResponseHeaders() }, ...problems(401, 403, 426, 429) },
    "x-websocket": {
      description:
        "One JSON frame per event: first a ProjectSnapshotFrame, then ProjectEventFrame frames; reconnect with `?after=<projectSeq>` to replay what was missed.",
      frames: [{ $ref: "#/components/schemas/ProjectSnapshotFrame" }, { $ref: "#/components/schemas/ProjectEventFrame" }],
    },
  }),
  async (c) => {
    const { projectId } = c.req.valid("param");
    const { after } = c.req.valid("query");
    await enterProject(c, projectId, "read");
    if (!isUpgrade(c)) {
      throw new Problem(426, "This route is WebSocket only: send Upgrade: websocket", { headers: { Upgrade: "websocket" } });
    }
    const hub = c.env.PROJECT_HUB.get(c.env.PROJECT_HUB.idFromName(projectId));
    return hub.fetch(forwardedUpgrade(c, c.req.query("after") === undefined ? null : after)) as unknown as Response;
  },
);
