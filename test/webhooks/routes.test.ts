import { env } from "cloudflare:workers";
import { projectDb } from "../../src/db/shards";
import { describe, expect, it } from "vitest";
import { call, problem, token } from "../helpers";
import { createWebhook, webhooksPath } from "./api";
import { RECEIVER } from "./receiver";

const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
const admin = (projects: string[]) => token({ sub: "root", roles: ["admin"], projects });

describe("POST /webhooks", () => {
  it("creates a subscription (201) and shows the whsec_ secret once", async () => {
    const P = "wr_create";
    const res = await call(webhooksPath(P), {
      method: "POST",
      token: await admin([P]),
      ...json({ url: "https://example.com/hook", events: ["job.completed", "job.failed"], description: "CI" }),
    });
    expect(res.status).toBe(201);
    const body = await res.json<Record<string, unknown>>();
    expect(Object.keys(body).sort()).toEqual(["createdAt", "description", "enabled", "events", "id", "projectId", "secret", "updatedAt", "url"]);
    expect(body).toMatchObject({ url: "https://example.com/hook", events: ["job.completed", "job.failed"], description: "CI", enabled: true, projectId: P });
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob((body.secret as string).slice(6)).length).toBe(32);
    expect(res.headers.get("Location")).toBe(`/api/projects/${P}/webhooks/${body.id}`);
  });

  const refusals: [string, unknown, string][] = [
    ["plain http", { url: "http://example.com/h", events: ["*"] }, "url must use https://"],
    ["http to localhost while WEBHOOK_ALLOW_HTTP_LOCALHOST is false", { url: "http://localhost:9999/h", events: ["*"] }, "url must use https://"],
    ["credentials", { url: "https://user:pw@example.com/h", events: ["*"] }, "url must not contain credentials"],
    ["a private IPv4 literal", { url: "https://10.1.2.3/h", events: ["*"] }, "url must not be a private, loopback or link-local IP address"],
    ["a link-local IPv4 literal", { url: "https://169.254.169.254/latest", events: ["*"] }, "url must not be a private, loopback or link-local IP address"],
    ["a loopback IPv6 literal", { url: "https://[::1]/h", events: ["*"] }, "url must not be a private, loopback or link-local IP address"],
    ["an IPv4-mapped IPv6 literal", { url: "https://[::ffff:192.168.0.1]/h", events: ["*"] }, "url must not be a private, loopback or link-local IP address"],
    ["not a URL", { url: "example.com", events: ["*"] }, "url must be an absolute URL"],
    ["another scheme", { url: "ftp://example.com/h", events: ["*"] }, "url must use https://"],
    [
      "an unknown event type",
      { url: "https://example.com/h", events: ["job.exploded"] },
      'events must be a non-empty list of job.created, job.started, job.stage, job.progress, job.completed, job.failed, job.cancelled, job.deleted, job.retried, batch.created, batch.started, batch.progress, batch.completed, batch.failed, batch.cancelled, or ["*"]',
    ],
    [
      "no events",
      { url: "https://example.com/h", events: [] },
      'events must be a non-empty list of job.created, job.started, job.stage, job.progress, job.completed, job.failed, job.cancelled, job.deleted, job.retried, batch.created, batch.started, batch.progress, batch.completed, batch.failed, batch.cancelled, or ["*"]',
    ],
    ["* with other types", { url: "https://example.com/h", events: ["*", "job.failed"] }, 'events: "*" stands alone'],
    ["no url", { events: ["*"] }, "url is required"],
  ];
  for (const [name, body, detail] of refusals) {
    it(`refuses ${name} with 400 and a detail`, async () => {
      const res = await call(webhooksPath("wr_rules"), { method: "POST", token: await admin(["wr_rules"]), ...json(body) });
      expect(res.status).toBe(400);
      expect((await problem(res)).detail).toBe(detail);
    });
  }

  it("refuses a body that is not JSON with 400", async () => {
    const res = await call(webhooksPath("wr_rules"), {
      method: "POST",
      token: await admin(["wr_rules"]),
      body: "{",
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toBe("Malformed JSON in request body");
  });
});

describe("GET /webhooks and GET /webhooks/{id}", () => {
  it("lists newest first with a cursor, and never shows a secret", async () => {
    const P = "wr_list";
    const t = await admin([P]);
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createWebhook(t, P, { url: `https://example.com/${i}`, events: ["*"] }));
    const seen: Record<string, unknown>[] = [];
    let cursor: string | null = null;
    do {
      const res = await call(`${webhooksPath(P)}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { token: t });
      expect(res.status).toBe(200);
      const text = await res.text();
      for (const m of made) expect(text).not.toContain(m.secret.slice(6));
      const page = JSON.parse(text) as { items: Record<string, unknown>[]; nextCursor: string | null; total: number };
      expect(page.total).toBe(5);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.map((w) => w.id)).toEqual(made.map((m) => m.id).reverse());
    for (const w of seen) expect(w).not.toHaveProperty("secret");
    const one = await call(`${webhooksPath(P)}/${made[0]!.id}`, { token: t });
    expect(one.status).toBe(200);
    const body = await one.json<Record<string, unknown>>();
    expect(body).not.toHaveProperty("secret");
    expect(JSON.stringify(body)).not.toContain(made[0]!.secret.slice(6));
  });

  it("refuses a tampered cursor, a cursor from another project and a bad limit with 400", async () => {
    const t = await admin(["wr_cur_a", "wr_cur_b"]);
    for (let i = 0; i < 3; i++) await createWebhook(t, "wr_cur_a", { url: `https://example.com/${i}`, events: ["*"] });
    const page = await (await call(`${webhooksPath("wr_cur_a")}?limit=1`, { token: t })).json<{ nextCursor: string }>();
    const tampered = page.nextCursor.slice(0, -2) + (page.nextCursor.endsWith("A") ? "BB" : "AA");
    for (const q of [`cursor=${tampered}`, `cursor=garbage`]) {
      const res = await call(`${webhooksPath("wr_cur_a")}?${q}`, { token: t });
      expect(res.status).toBe(400);
    }
    const foreign = await call(`${webhooksPath("wr_cur_b")}?cursor=${encodeURIComponent(page.nextCursor)}`, { token: t });
    expect(foreign.status).toBe(400);
    const limit = await call(`${webhooksPath("wr_cur_a")}?limit=0`, { token: t });
    expect((await problem(limit)).detail).toBe("Invalid limit. Must be between 1 and 100.");
  });

  it("stores the secret sealed: the D1 row does not contain it", async () => {
    const P = "wr_sealed";
    const hook = await createWebhook(await admin([P]), P, { url: "https://example.com/s", events: ["*"] });
    const row = await projectDb(env, P).prepare("SELECT * FROM webhook_subscriptions WHERE id = ?").bind(hook.id).first<Record<string, unknown>>();
    const dump = JSON.stringify(row);
    expect(dump).not.toContain(hook.secret.slice(6));
    expect(dump).not.toContain(hook.secret);
    expect(row!.sealed_secret).toMatch(/^v1\./);
  });
});

describe("PATCH /webhooks/{id}", () => {
  it("changes url, events, enabled and description", async () => {
    const P = "wr_patch";
    const t = await admin([P]);
    const hook = await createWebhook(t, P, { url: "https://example.com/a", events: ["*"] });
    const res = await call(`${webhooksPath(P)}/${hook.id}`, {
      method: "PATCH",
      token: t,
      ...json({ url: "https://example.org/b", events: ["job.failed"], enabled: false, description: "paused" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: hook.id, url: "https://example.org/b", events: ["job.failed"], enabled: false, description: "paused" });
    const bad = await call(`${webhooksPath(P)}/${hook.id}`, { method: "PATCH", token: t, ...json({ url: "http://example.org/b" }) });
    expect((await problem(bad)).detail).toBe("url must use https://");
    const empty = await call(`${webhooksPath(P)}/${hook.id}`, { method: "PATCH", token: t, ...json({}) });
    expect((await problem(empty)).detail).toBe("Nothing to change: send url, events, enabled or description");
  });
});

describe("DELETE /webhooks/{id}", () => {
  it("deletes (204), then 404", async () => {
    const P = "wr_delete";
    const t = await admin([P]);
    const hook = await createWebhook(t, P, { url: "https://example.com/a", events: ["*"] });
    expect((await call(`${webhooksPath(P)}/${hook.id}`, { method: "DELETE", token: t })).status).toBe(204);
    const again = await call(`${webhooksPath(P)}/${hook.id}`, { method: "DELETE", token: t });
    expect((await problem(again)).detail).toBe("Webhook not found");
    expect((await call(`${webhooksPath(P)}/${hook.id}`, { token: t })).status).toBe(404);
  });
});

/** Every webhook route, with a body where it takes one. */
function routes(P: string, id: string, deliveryId = `msg_${"0".repeat(32)}`): [string, string, unknown?][] {
  const base = webhooksPath(P);
  return [
    ["GET", base],
    ["POST", base, { url: "https://example.com/x", events: ["*"] }],
    ["GET", `${base}/${id}`],
    ["PATCH", `${base}/${id}`, { description: "x" }],
    ["DELETE", `${base}/${id}`],
    ["POST", `${base}/${id}/rotate-secret`],
    ["GET", `${base}/${id}/deliveries`],
    ["POST", `${base}/${id}/deliveries/${deliveryId}/redeliver`],
    ["POST", `${base}/${id}/test`],
  ];
}
const isRead = (method: string) => method === "GET";

describe("roles (DESIGN §2: read webhooks = editor, dispatcher, admin; manage = admin)", () => {
  const P = "wr_roles";
  for (const role of ["viewer", "editor", "dispatcher"] as const) {
    it(`${role}: ${role === "viewer" ? "403 on every route" : "reads, 403 on every change"}`, async () => {
      const hook = await createWebhook(await admin([P]), P, { url: `${RECEIVER}/roles`, events: ["job.failed"] });
      const t = await token({ roles: [role], projects: [P] });
      for (const [method, path, body] of routes(P, hook.id)) {
        const res = await call(path, { method, token: t, ...(body ? json(body) : {}) });
        const allowed = role !== "viewer" && isRead(method);
        if (allowed) expect(res.status, `${method} ${path}`).toBe(200);
        else {
          expect(res.status, `${method} ${path}`).toBe(403);
          expect((await problem(res)).detail).toMatch(new RegExp(`^(Reading|Managing) webhooks needs one of the roles [a-z, ]+; this token has: ${role}\\.$`));
        }
      }
    });
  }

  it("without a token: 401 on every route", async () => {
    for (const [method, path, body] of routes(P, `wh_${"0".repeat(32)}`)) {
      const res = await call(path, { method, ...(body ? json(body) : {}) });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
  });
});

describe("cross-project isolation", () => {
  it("a member of another project gets 403 on every route of this one", async () => {
    const hook = await createWebhook(await admin(["wr_iso_a"]), "wr_iso_a", { url: "https://example.com/a", events: ["*"] });
    const stranger = await token({ roles: ["editor", "dispatcher"], projects: ["wr_iso_b"] });
    for (const [method, path, body] of routes("wr_iso_a", hook.id)) {
      const res = await call(path, { method, token: stranger, ...(body ? json(body) : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
  });

  it("a webhook addressed under another project is not found there (404 on every id route), and stays untouched", async () => {
    const t = await admin(["wr_iso_c", "wr_iso_d"]);
    const hook = await createWebhook(t, "wr_iso_c", { url: "https://example.com/c", events: ["*"] });
    for (const [method, path, body] of routes("wr_iso_d", hook.id).filter(([, p]) => p.includes(hook.id))) {
      const res = await call(path, { method, token: t, ...(body ? json(body) : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const list = await (await call(webhooksPath("wr_iso_d"), { token: t })).json<{ items: unknown[] }>();
    expect(list.items).toEqual([]);
    expect((await call(`${webhooksPath("wr_iso_c")}/${hook.id}`, { token: t })).status).toBe(200);
  });

  it("ids that cannot be webhooks or deliveries are 404", async () => {
    const t = await admin(["wr_ids"]);
    expect((await call(`${webhooksPath("wr_ids")}/nope`, { token: t })).status).toBe(404);
    const hook = await createWebhook(t, "wr_ids", { url: "https://example.com/c", events: ["*"] });
    const res = await call(`${webhooksPath("wr_ids")}/${hook.id}/deliveries/nope/redeliver`, { method: "POST", token: t });
    expect((await problem(res)).detail).toBe("Delivery not found");
  });
});

describe("OpenAPI", () => {
  it("documents every webhook route with its schemas", async () => {
    const doc = await (await call("/openapi.json")).json<{
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    }>();
    const base = "/api/projects/{projectId}/webhooks";
    expect(Object.keys(doc.paths[base]!).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths[`${base}/{webhookId}`]!).sort()).toEqual(["delete", "get", "patch"]);
    for (const p of ["/rotate-secret", "/deliveries", "/deliveries/{deliveryId}/redeliver", "/test"])
      expect(doc.paths[`${base}/{webhookId}${p}`]).toBeDefined();
    for (const s of ["Webhook", "WebhookWithSecret", "WebhookList", "WebhookDelivery", "WebhookDeliveryList", "CreateWebhook", "UpdateWebhook"])
      expect(doc.components.schemas[s]).toBeDefined();
  });
});
