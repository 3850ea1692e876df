import { describe, expect, it } from "vitest";
import { call, problem, token } from "../helpers";
import { webhooksPath } from "./api";

const admin = (projectId: string) => token({ sub: "root", roles: ["admin"], projects: [projectId] });

function create(t: string, projectId: string, n: number): Promise<Response> {
  return call(webhooksPath(projectId), {
    method: "POST",
    token: t,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ url: `https://receiver.test/${n}`, events: ["*"] }),
  });
}

describe("POST /api/projects/{projectId}/webhooks (per-project limit)", () => {
  it("returns 400 for the 21st subscription and says what to do", async () => {
    const P = "wl_seq";
    const t = await admin(P);
    for (let i = 0; i < 20; i++) expect((await create(t, P, i)).status).toBe(201);
    const res = await create(t, P, 20);
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toMatch(/at most 20 webhooks: delete one/);
  });

  it("admits exactly 20 of 60 concurrent creates", async () => {
    const P = "wl_race";
    const t = await admin(P);
    const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => create(t, P, i).then((r) => r.status)));
    expect(statuses.filter((s) => s === 201)).toHaveLength(20);
    expect(statuses.filter((s) => s === 400)).toHaveLength(40);
    const list = await (await call(`${webhooksPath(P)}?limit=100`, { token: t })).json<{ total: number }>();
    expect(list.total).toBe(20);
  });
});
