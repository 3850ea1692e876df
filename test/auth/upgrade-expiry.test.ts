import { describe, expect, it } from "vitest";
import { call, createJob, jobsPath, token } from "../helpers";

const P = "proj_upgrade_exp";

describe("WebSocket upgrades with a token just past its exp", () => {
  it("returns 401 to an upgrade with a token expired 10 s ago, which a plain request still accepts within the 30 s tolerance", async () => {
    const fresh = await token({ projects: [P] });
    const job = await createJob(fresh, P);
    const stale = await token({ projects: [P], ttl: -10 });
    for (const path of [`/api/projects/${P}/ingest/events`, `${jobsPath(P)}/${job.id}/events`]) {
      const upgrade = await call(path, { token: stale, headers: { Upgrade: "websocket" } });
      expect(upgrade.status, path).toBe(401);
    }
    expect((await call(jobsPath(P), { token: stale })).status).toBe(200);
  });

  it("accepts an upgrade with a token expired 2 s ago (clock skew of a few seconds)", async () => {
    const t = await token({ projects: [P], ttl: -2 });
    const res = await call(`/api/projects/${P}/ingest/events`, { token: t, headers: { Upgrade: "websocket" } });
    expect(res.status).toBe(101);
    res.webSocket!.accept();
    res.webSocket!.close(1000, "bye");
  });
});
