import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { call, createJob, drive, token } from "../helpers";
import { createWebhook, deliveries, settled, webhooksPath } from "./api";
import { RECEIVER, Receiver } from "./receiver";

let receiver: Receiver;
let restore: () => void;
beforeEach(() => {
  receiver = new Receiver();
  restore = receiver.install();
});
afterEach(() => restore());

const admin = (projectId: string) => token({ sub: "root", roles: ["admin"], projects: [projectId] });

/** Runs one small job to completion: created, started, stage…, completed. */
async function runJob(projectId: string): Promise<string> {
  const t = await token({ projects: [projectId] });
  const job = await createJob(t, projectId, "A short document for webhooks.");
  await drive(job.id);
  return job.id;
}

describe("webhook delivery", () => {
  it("POSTs the §5 frame with Standard Webhooks headers that verify with the standardwebhooks package", async () => {
    const P = "wh_sig";
    const t = await admin(P);
    const hook = await createWebhook(t, P, { url: `${RECEIVER}/sig`, events: ["job.completed"] });
    const jobId = await runJob(P);
    const [d] = await settled(t, P, hook.id, 1);
    expect(d).toMatchObject({
      eventType: "job.completed",
      jobId,
      status: "succeeded",
      attempts: 1,
      lastResponseStatus: 204,
      lastError: null,
      nextAttemptAt: null,
    });
    const [req] = receiver.to("/sig");
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(req!.headers["webhook-id"]).toBe(d!.id);
    expect(req!.headers["webhook-timestamp"]).toMatch(/^\d+$/);
    expect(req!.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const frame = new Webhook(hook.secret).verify(req!.body, req!.headers) as Record<string, unknown>;
    expect(frame).toMatchObject({ type: "job.completed", jobId, projectId: P, seq: d!.seq, job: { id: jobId, status: "COMPLETED" } });
    expect(frame.projectSeq).toEqual(expect.any(Number));
    // Another secret does not verify it.
    expect(() => new Webhook("whsec_" + btoa("x".repeat(32))).verify(req!.body, req!.headers)).toThrow();
  });

  it('sends only the subscribed event types, and every type to ["*"]', async () => {
    const P = "wh_filter";
    const t = await admin(P);
    const some = await createWebhook(t, P, { url: `${RECEIVER}/some`, events: ["job.created", "job.completed"] });
    const all = await createWebhook(t, P, { url: `${RECEIVER}/all`, events: ["*"] });
    const jobId = await runJob(P);
    const log = await (await call(`/api/projects/${P}/ingest/jobs/${jobId}/events`, { token: t })).json<{ items: { type: string; seq: number }[] }>();
    await settled(t, P, some.id, 2);
    await settled(t, P, all.id, log.items.length);
    const types = (path: string) => receiver.to(path).map((r) => JSON.parse(r.body) as { type: string; seq: number });
    expect(
      types("/some")
        .map((f) => f.type)
        .sort(),
    ).toEqual(["job.completed", "job.created"]);
    expect(
      types("/all")
        .map((f) => f.seq)
        .sort((a, b) => a - b),
    ).toEqual(log.items.map((e) => e.seq));
  });

  it("retries a receiver that fails twice, then succeeds: one delivery, 3 attempts, the same webhook-id", async () => {
    const P = "wh_retry";
    const t = await admin(P);
    receiver.answer("/flaky", 500, 503, 200);
    const hook = await createWebhook(t, P, { url: `${RECEIVER}/flaky`, events: ["job.completed"] });
    await runJob(P);
    const [d] = await settled(t, P, hook.id, 1);
    expect(d).toMatchObject({ status: "succeeded", attempts: 3, lastResponseStatus: 200, lastError: null });
    const tries = receiver.to("/flaky");
    expect(tries.map((r) => r.answer)).toEqual([500, 503, 200]);
    expect(new Set(tries.map((r) => r.headers["webhook-id"]))).toEqual(new Set([d!.id]));
    for (const r of tries) expect(() => new Webhook(hook.secret).verify(r.body, r.headers)).not.toThrow();
  });

  it("gives up after the last retry and logs why (5 retries after the first try)", async () => {
    const P = "wh_fail";
    const t = await admin(P);
    receiver.answer("/down", 500);
    const hook = await createWebhook(t, P, { url: `${RECEIVER}/down`, events: ["job.completed"] });
    await runJob(P);
    const [d] = await settled(t, P, hook.id, 1);
    expect(d).toMatchObject({ status: "failed", attempts: 6, lastResponseStatus: 500, lastError: "receiver answered HTTP 500", nextAttemptAt: null });
  });

  it("times out a receiver that never answers, logs it, and retries it", async () => {
    const P = "wh_hang";
    const t = await admin(P);
    receiver.answer("/hang", "hang", 200);
    const hook = await createWebhook(t, P, { url: `${RECEIVER}/hang`, events: ["job.completed"] });
    await runJob(P);
    const [d] = await settled(t, P, hook.id, 1);
    expect(d).toMatchObject({ status: "succeeded", attempts: 2, lastResponseStatus: 200 });
    expect(receiver.to("/hang").map((r) => r.answer)).toEqual(["hang", 200]);
  });

  it("records a timeout as the attempt's error (WEBHOOK_TIMEOUT_MS is 300 in tests, 10 s by default)", async () => {
    const P = "wh_hang2";
    const t = await admin(P);
    receiver.answer("/hang2", "hang");
    const hook = await createWebhook(t, P, { url: `${RECEIVER}/hang2`, events: ["job.completed"] });
    await runJob(P);
    const [d] = await settled(t, P, hook.id, 1, 20_000);
    expect(d).toMatchObject({ status: "failed", attempts: 6, lastResponseStatus: null, lastError: "no response within 0.3 s" });
  });

  it("signs deliveries after a rotation with the new secret only", async () => {
    const P = "wh_rotate";
    const t = await admin(P);
    const hook = await createWebhook(t, P, { url: `${RECEIVER}/rot`, events: ["job.completed"] });
    await runJob(P);
    await settled(t, P, hook.id, 1);
    const res = await call(`${webhooksPath(P)}/${hook.id}/rotate-secret`, { method: "POST", token: t });
    expect(res.status).toBe(200);
    const { secret } = await res.json<{ secret: string }>();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secret).not.toBe(hook.secret);
    await runJob(P);
    await settled(t, P, hook.id, 2);
    const [before, after] = receiver.to("/rot");
    expect(() => new Webhook(hook.secret).verify(before!.body, before!.headers)).not.toThrow();
    expect(() => new Webhook(secret).verify(after!.body, after!.headers)).not.toThrow();
    expect(() => new Webhook(hook.secret).verify(after!.body, after!.headers)).toThrow();
  });

  it("sends nothing to a disabled webhook, and again once it is re-enabled", async () => {
    const P = "wh_disabled";
    const t = await admin(P);
    const hook = await createWebhook(t, P, { url: `${RECEIVER}/off`, events: ["job.completed"] });
    const patch = (enabled: boolean) =>
      call(`${webhooksPath(P)}/${hook.id}`, { method: "PATCH", token: t, body: JSON.stringify({ enabled }), headers: { "Content-Type": "application/json" } });
    expect((await patch(false)).status).toBe(200);
    await runJob(P);
    expect((await patch(true)).status).toBe(200);
    const jobId = await runJob(P);
    const [d] = await settled(t, P, hook.id, 1);
    expect(d!.jobId).toBe(jobId);
    expect((await deliveries(t, P, hook.id)).total).toBe(1);
  });

  it("POST /test sends a webhook.test event (202) and logs it", async () => {
    const P = "wh_test";
    const t = await admin(P);
    const hook = await createWebhook(t, P, { url: `${RECEIVER}/ping`, events: ["job.failed"] });
    const res = await call(`${webhooksPath(P)}/${hook.id}/test`, { method: "POST", token: t });
    expect(res.status).toBe(202);
    const queued = await res.json<{ id: string; eventType: string; status: string }>();
    expect(queued).toMatchObject({ eventType: "webhook.test", status: "pending", jobId: null, seq: null });
    const [d] = await settled(t, P, hook.id, 1);
    expect(d).toMatchObject({ id: queued.id, status: "succeeded", attempts: 1 });
    const [req] = receiver.to("/ping");
    expect(new Webhook(hook.secret).verify(req!.body, req!.headers)).toMatchObject({ type: "webhook.test", webhookId: hook.id, projectId: P });
  });

  it("redeliver (202) sends a logged delivery again with the same webhook-id", async () => {
    const P = "wh_redeliver";
    const t = await admin(P);
    receiver.answer("/again", 500);
    const hook = await createWebhook(t, P, { url: `${RECEIVER}/again`, events: ["job.completed"] });
    await runJob(P);
    const [failed] = await settled(t, P, hook.id, 1);
    expect(failed!.status).toBe("failed");
    receiver.answer("/again", 200);
    const res = await call(`${webhooksPath(P)}/${hook.id}/deliveries/${failed!.id}/redeliver`, { method: "POST", token: t });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ id: failed!.id, status: "pending" });
    const [d] = await settled(t, P, hook.id, 1);
    expect(d).toMatchObject({ id: failed!.id, status: "succeeded", attempts: 7, lastResponseStatus: 200 });
    const ids = new Set(receiver.to("/again").map((r) => r.headers["webhook-id"]));
    expect(ids).toEqual(new Set([failed!.id]));
    const missing = await call(`${webhooksPath(P)}/${hook.id}/deliveries/msg_${"0".repeat(32)}/redeliver`, { method: "POST", token: t });
    expect(missing.status).toBe(404);
    expect((await missing.json<{ detail: string }>()).detail).toBe("Delivery not found");
  });

  it("pages the delivery log newest first with the jobs' cursor rules", async () => {
    const P = "wh_pages";
    const t = await admin(P);
    const hook = await createWebhook(t, P, { url: `${RECEIVER}/pages`, events: ["*"] });
    await runJob(P);
    const all = await settled(t, P, hook.id, 4);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof deliveries>> = await deliveries(t, P, hook.id, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(page.total).toBe(all.length);
      seen.push(...page.items.map((d) => d.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((d) => d.id));
    const created = all.map((d) => d.createdAt);
    expect([...created].sort().reverse()).toEqual(created);
    const bad = await call(`${webhooksPath(P)}/${hook.id}/deliveries?cursor=abc.def`, { token: t });
    expect(bad.status).toBe(400);
  });

  it("deleting a webhook drops its pending deliveries: nothing more is sent", async () => {
    const P = "wh_delete";
    const t = await admin(P);
    receiver.answer("/gone", 500);
    const hook = await createWebhook(t, P, { url: `${RECEIVER}/gone`, events: ["job.completed"] });
    await runJob(P);
    await vi.waitFor(() => {
      if (receiver.to("/gone").length < 1) throw new Error("no attempt yet");
    });
    expect((await call(`${webhooksPath(P)}/${hook.id}`, { method: "DELETE", token: t })).status).toBe(204);
    const count = receiver.to("/gone").length;
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.to("/gone").length).toBeLessThanOrEqual(count + 1); // at most the attempt already in flight
    expect((await call(`${webhooksPath(P)}/${hook.id}/deliveries`, { token: t })).status).toBe(404);
  });

  it("never writes a secret to the logs", async () => {
    const P = "wh_logs";
    const t = await admin(P);
    const lines: string[] = [];
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" "))),
    );
    try {
      receiver.answer("/logs", 500, 200);
      const hook = await createWebhook(t, P, { url: `${RECEIVER}/logs`, events: ["*"] });
      await runJob(P);
      await settled(t, P, hook.id, 4);
      const rotated = await (await call(`${webhooksPath(P)}/${hook.id}/rotate-secret`, { method: "POST", token: t })).json<{ secret: string }>();
      for (const secret of [hook.secret, rotated.secret]) {
        const raw = secret.slice("whsec_".length);
        for (const line of lines) expect(line).not.toContain(raw);
      }
    } finally {
      for (const s of spies) s.mockRestore();
    }
  });
});
