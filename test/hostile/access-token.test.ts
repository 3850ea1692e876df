import { describe, expect, it } from "vitest";
import { acceptsQueryToken } from "../../src/http/middleware";
import { call, createJob, jobsPath, token } from "../helpers";

const P = "proj_query_token";

describe("?access_token=", () => {
  it("is refused with an upgrade header on routes that are not event routes", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    for (const path of [jobsPath(P), `${jobsPath(P)}/${job.id}`, `/api/projects/${P}/documents`, `/api/v1/ingestion/job/${job.id}`]) {
      const res = await call(`${path}?access_token=${t}`, { headers: { Upgrade: "websocket" } });
      expect(res.status, path).toBe(401);
    }
  });

  it("is refused on an event route without a real upgrade", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    const res = await call(`${jobsPath(P)}/${job.id}/events?access_token=${t}`);
    expect(res.status).toBe(401);
    const notWs = await call(`${jobsPath(P)}/${job.id}/events?access_token=${t}`, { headers: { Upgrade: "h2c" } });
    expect(notWs.status).toBe(401);
  });

  it("is accepted on both event routes with Upgrade: websocket", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    for (const path of [`${jobsPath(P)}/${job.id}/events`, `/api/projects/${P}/ingest/events`]) {
      const res = await call(`${path}?access_token=${t}`, { headers: { Upgrade: "websocket" } });
      expect(res.status, path).toBe(101);
      res.webSocket!.accept();
      res.webSocket!.close(1000, "bye");
    }
  });

  it("is allowed only for a GET upgrade of an event route", () => {
    expect(acceptsQueryToken("GET", "/api/projects/p/ingest/events", "websocket")).toBe(true);
    expect(acceptsQueryToken("GET", "/api/projects/p/ingest/jobs/j/events", "WebSocket")).toBe(true);
    expect(acceptsQueryToken("POST", "/api/projects/p/ingest/events", "websocket")).toBe(false);
    expect(acceptsQueryToken("GET", "/api/projects/p/ingest/jobs", "websocket")).toBe(false);
    expect(acceptsQueryToken("GET", "/api/projects/p/ingest/jobs/j/events/x", "websocket")).toBe(false);
    expect(acceptsQueryToken("GET", "/api/projects/p/ingest/events", undefined)).toBe(false);
  });
});
