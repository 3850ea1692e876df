import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CIRCUIT_OPENS_AFTER } from "../../src/webhooks/delivery-log";
import { call, token } from "../helpers";
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
const sendTest = (t: string, projectId: string, webhookId: string) => call(`${webhooksPath(projectId)}/${webhookId}/test`, { method: "POST", token: t });

describe("webhook delivery lanes", () => {
  it("sends a healthy receiver's delivery without waiting for the attempts of 19 hanging receivers queued before it", async () => {
    const P = "wf_lanes";
    const t = await admin(P);
    const hanging = [];
    for (let i = 0; i < 19; i++) {
      receiver.answer(`/hang${i}`, "hang");
      hanging.push(await createWebhook(t, P, { url: `${RECEIVER}/hang${i}`, events: ["job.completed"] }));
    }
    const healthy = await createWebhook(t, P, { url: `${RECEIVER}/ok`, events: ["job.completed"] });
    // Four deliveries per hanging receiver: far more attempts due than the project's lanes.
    for (let round = 0; round < 4; round++) for (const h of hanging) expect((await sendTest(t, P, h.id)).status).toBe(202);
    const abandonedBefore = receiver.abandoned.length;
    expect((await sendTest(t, P, healthy.id)).status).toBe(202);
    await vi.waitFor(() => expect(receiver.to("/ok")).toHaveLength(1), { timeout: 20_000, interval: 5 });
    // Shared lanes would have made it wait for a lane to free, i.e. for dozens of the
    // hanging attempts queued before it to time out; its own lane makes it go at once.
    expect(receiver.abandoned.length - abandonedBefore).toBeLessThan(hanging.length);
    await settled(t, P, healthy.id, 1);
    for (const h of hanging) await call(`${webhooksPath(P)}/${h.id}`, { method: "DELETE", token: t });
  });

  it(`pauses a webhook after ${CIRCUIT_OPENS_AFTER} failed attempts in a row; its deliveries wait, and a redelivery probes it`, async () => {
    const P = "wf_circuit";
    const t = await admin(P);
    receiver.answer("/down", 500);
    const hook = await createWebhook(t, P, { url: `${RECEIVER}/down`, events: ["job.completed"] });
    // Two deliveries: 12 tries without a pause, more than the breaker allows in a row.
    for (let i = 0; i < 2; i++) expect((await sendTest(t, P, hook.id)).status).toBe(202);
    const paused = await vi.waitFor(
      async () => {
        const items = (await deliveries(t, P, hook.id)).items;
        const waiting = items.find((d) => d.status === "pending" && d.nextAttemptAt !== null && Date.parse(d.nextAttemptAt) > Date.now() + 30_000);
        expect(waiting, JSON.stringify(items)).toBeDefined();
        return waiting!;
      },
      { timeout: 10_000, interval: 20 },
    );
    // Tried until the breaker tripped (an attempt already in flight on its other lane may end after it), then left alone.
    const tried = receiver.to("/down").length;
    expect(tried).toBeGreaterThanOrEqual(CIRCUIT_OPENS_AFTER);
    expect(tried).toBeLessThan(12);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.to("/down")).toHaveLength(tried);
    // The receiver is back: an operator's redelivery is the probe; its success closes the circuit.
    receiver.answer("/down", 200);
    expect((await call(`${webhooksPath(P)}/${hook.id}/deliveries/${paused.id}/redeliver`, { method: "POST", token: t })).status).toBe(202);
    const done = await settled(t, P, hook.id, 2);
    expect(done.find((d) => d.id === paused.id)).toMatchObject({ status: "succeeded", lastResponseStatus: 200 });
    expect(done.every((d) => d.status === "succeeded" || (d.status === "failed" && d.attempts === 6))).toBe(true);
  });
});
