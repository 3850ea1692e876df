/**
 * Webhook delivery for one project, run inside the ProjectHub (which sees every job
 * event of the project, in order, exactly once after its dedup). Matching events become
 * rows of the hub's `deliveries` table in the same synchronous block that logs them, so
 * an event is never logged without its deliveries; the hub's alarm sends what is due.
 */
import type { WebhookConfig } from "../config";
import type { Env } from "../env";
import type { ProjectEventFrame } from "../events/project-log";
import { uuidv7 } from "../jobs/ids";
import { type Delivery, DeliveryLog, type DueDelivery } from "./delivery-log";
import { afterAttempt, type AttemptOutcome, describeFailure, subscribes } from "./retry-policy";
import { decryptSecret } from "./secrets";
import { signedHeaders } from "./signing";
import { fetchRemote, RemoteFetchError } from "../net/remote-fetch";
import { MAX_WEBHOOKS_PER_PROJECT, subscriptionsForDelivery } from "./subscriptions";

/** A subscription with its secret opened, held only in the hub's memory. */
interface OpenSubscription {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  secret: string;
}

/** The hub re-reads subscriptions at least this often, even if no route told it of a change. */
const CACHE_TTL_MS = 60_000;
/**
 * Attempts in flight at once per subscription. A receiver that hangs holds at most this
 * many lanes for the attempt timeout, whatever the number of its deliveries due.
 */
export const LANES_PER_SUBSCRIPTION = 2;
/** Attempts in flight at once per project: enough for every subscription's lanes, so no subscription waits for another's. */
const CONCURRENCY = MAX_WEBHOOKS_PER_PROJECT * LANES_PER_SUBSCRIPTION;
/** One pump sends for at most this long; the alarm picks up the rest (alarms may run 15 min). */
const BUDGET_MS = 60_000;
/** Slack past an attempt's timeout before the alarm looks at it again. */
const LEASE_SLACK_MS = 5_000;
const USER_AGENT = "edge-ingest-webhooks/1";
/** Only the status of a receiver's answer matters; its body is never read. */
const RESPONSE_BYTES_READ = 0;

export const TEST_EVENT = "webhook.test";

/** A delivery id: `msg_` + a UUIDv7's hex, time-ordered. Stable across retries (`webhook-id`). */
export function newDeliveryId(now = Date.now()): string {
  return `msg_${uuidv7(now).replaceAll("-", "")}`;
}

export class WebhookDispatcher {
  private cache: { projectId: string; loadedAt: number; subs: Map<string, OpenSubscription> } | null = null;
  /** Bumped by every notice of a change, so a reload that straddles one is not cached. */
  private generation = 0;
  private reloading: Promise<void> | null = null;
  /** Attempts in flight in this object, whoever started them: delivery id → when it times out. */
  private readonly inFlight = new Map<string, number>();
  /** Lanes running in this object, in all and per subscription (each lane sends one attempt at a time). */
  private lanes = 0;
  private readonly lanesBySubscription = new Map<string, number>();

  constructor(
    private readonly env: Env,
    private readonly config: WebhookConfig,
    readonly log: DeliveryLog,
  ) {}

  /**
   * The project's subscriptions. After a route's notice (`invalidate`) they are read from
   * D1 before use, so a change applies to the very next event. When the cache has only
   * aged past its TTL, it is used as it is while a reload runs in the background, so the
   * event path waits for D1 only after a change or on the object's first event.
   * A failed reload keeps the cached copy.
   */
  async subscriptions(projectId: string, now = Date.now()): Promise<Map<string, OpenSubscription>> {
    const c = this.cache;
    if (c && c.projectId === projectId) {
      if (now - c.loadedAt >= CACHE_TTL_MS && !this.reloading) {
        this.reloading = this.reload(projectId)
          .then(() => undefined)
          .catch((err: unknown) => {
            console.warn(JSON.stringify({ msg: "webhook subscriptions reload failed; using the cached ones", projectId, error: String(err) }));
          })
          .finally(() => {
            this.reloading = null;
          });
      }
      return c.subs;
    }
    return this.reload(projectId);
  }

  /** Reads and opens the subscriptions; keeps them unless a notice came in meanwhile. */
  private async reload(projectId: string): Promise<Map<string, OpenSubscription>> {
    const generation = this.generation;
    const rows = await subscriptionsForDelivery(this.env, projectId);
    const subs = new Map<string, OpenSubscription>();
    for (const r of rows) {
      const secret = await decryptSecret(this.config.secretKey, r.id, r.sealedSecret);
      subs.set(r.id, { id: r.id, url: r.url, events: r.events, enabled: r.enabled, secret });
    }
    // Rows read before a change must not overwrite the notice of that change.
    if (generation === this.generation) this.cache = { projectId, loadedAt: Date.now(), subs };
    return subs;
  }

  /** A route changed a subscription: the next use reads them again. */
  invalidate(): void {
    this.generation++;
    this.cache = null;
  }

  /** Queues one delivery per (frame, enabled subscription that wants it). Synchronous. */
  enqueue(frames: { frame: ProjectEventFrame; json: string }[], subs: Map<string, OpenSubscription>, now: number): number {
    let queued = 0;
    for (const sub of subs.values()) {
      if (!sub.enabled) continue;
      for (const { frame, json } of frames) {
        if (!subscribes(sub.events, frame.type)) continue;
        this.log.add(
          {
            id: newDeliveryId(now),
            subscriptionId: sub.id,
            eventType: frame.type,
            jobId: "jobId" in frame ? frame.jobId : frame.batchId,
            seq: frame.seq,
            payload: json,
            eventAtMs: Date.parse(frame.at) || now,
          },
          now,
        );
        queued++;
      }
    }
    return queued;
  }

  /** Queues a `webhook.test` event for one subscription, whatever its filter. */
  enqueueTest(projectId: string, subscriptionId: string, now: number): Delivery {
    const id = newDeliveryId(now);
    const at = new Date(now).toISOString();
    const payload = JSON.stringify({ type: TEST_EVENT, webhookId: subscriptionId, projectId, at });
    this.log.add({ id, subscriptionId, eventType: TEST_EVENT, jobId: null, seq: null, payload, eventAtMs: now }, now);
    return this.log.get(subscriptionId, id)!;
  }

  /**
   * Sends what is due. Each subscription has its own lanes, `LANES_PER_SUBSCRIPTION` of
   * them (one while its circuit has tripped), and a lane only ever sends its own
   * subscription's deliveries, oldest due first, one attempt at a time, until none is due
   * or `BUDGET_MS` has passed; `CONCURRENCY` bounds them all. A receiver that hangs thus
   * holds its own lanes only, and a healthy subscription's next delivery never waits for
   * a lane another one holds, nor behind another one's backlog.
   * Resolves when the lanes it started have ended. An attempt writes the log once, when
   * it ends; a runtime that dies mid-attempt leaves the delivery pending and due, so the
   * next alarm (or wake) sends it again: at least once.
   * Called by the alarm and, so a delivery need not wait for the alarm to fire, by
   * whoever just queued one: the alarm stays the durable backstop either way.
   */
  async pump(projectId: string): Promise<void> {
    const subs = await this.subscriptions(projectId);
    const started = Date.now();
    const lane = async (subscriptionId: string): Promise<void> => {
      this.lanes++;
      this.lanesBySubscription.set(subscriptionId, (this.lanesBySubscription.get(subscriptionId) ?? 0) + 1);
      try {
        for (;;) {
          const now = Date.now();
          if (now - started > BUDGET_MS) return;
          const due = this.log.takeDue(subscriptionId, now, new Set(this.inFlight.keys()));
          if (!due) return;
          this.inFlight.set(due.id, now + this.config.timeoutMs + LEASE_SLACK_MS);
          try {
            await this.send(due, subs);
          } finally {
            this.inFlight.delete(due.id);
          }
        }
      } finally {
        this.lanes--;
        const left = (this.lanesBySubscription.get(subscriptionId) ?? 1) - 1;
        if (left > 0) this.lanesBySubscription.set(subscriptionId, left);
        else this.lanesBySubscription.delete(subscriptionId);
      }
    };
    const lanes: Promise<void>[] = [];
    for (const { subscriptionId, due } of this.log.dueBySubscription(Date.now(), new Set(this.inFlight.keys()))) {
      const spare = this.log.lanesFor(subscriptionId, LANES_PER_SUBSCRIPTION) - (this.lanesBySubscription.get(subscriptionId) ?? 0);
      for (let i = 0; i < Math.min(spare, due) && this.lanes < CONCURRENCY; i++) lanes.push(lane(subscriptionId));
    }
    await Promise.all(lanes);
  }

  /**
   * When the alarm should next fire: the earliest delivery due that is not being sent and
   * whose subscription has a lane to spare, or, while attempts are under way, when the
   * first of them will have timed out (so a pump cut short by its budget or an exception
   * is picked up again; a running lane takes its subscription's next delivery itself).
   */
  nextWake(): number | null {
    const due = this.log.nextDue(new Set(this.inFlight.keys()), this.subscriptionsWithoutSpareLane());
    const leases = [...this.inFlight.values()];
    const lease = leases.length ? Math.min(...leases) : null;
    return due === null ? lease : lease === null ? due : Math.min(due, lease);
  }

  private subscriptionsWithoutSpareLane(): Set<string> {
    const full = new Set<string>();
    for (const [id, running] of this.lanesBySubscription) if (running >= this.log.lanesFor(id, LANES_PER_SUBSCRIPTION)) full.add(id);
    return full;
  }

  /** One attempt of one delivery, recorded in the log. */
  private async send(d: DueDelivery, subs: Map<string, OpenSubscription>): Promise<void> {
    const sub = subs.get(d.subscriptionId);
    if (!sub) return this.log.abandon(d.id, "webhook was deleted");
    if (!sub.enabled && d.eventType !== TEST_EVENT) return this.log.abandon(d.id, "webhook is disabled");
    const outcome = await this.post(sub, d);
    const now = Date.now();
    const state = afterAttempt(outcome, d.attempts - d.roundStart + 1, now, this.config.retryDelaysMs);
    this.log.noteAttempt(d.subscriptionId, state.status === "succeeded", now);
    this.log.record(d.id, state, outcome.kind === "response" ? outcome.status : null, describeFailure(outcome, this.config.timeoutMs), now);
  }

  private async post(sub: OpenSubscription, d: DueDelivery): Promise<AttemptOutcome> {
    try {
      const res = await fetchRemote(sub.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...signedHeaders(sub.secret, d.id, new Date(), d.payload) },
        body: d.payload,
        userAgent: USER_AGENT,
        // The URL is checked again at each attempt: rules tightened since it was stored apply.
        allowHttpLocalhost: this.config.allowHttpLocalhost,
        // A redirect is not a 2xx: it is logged and retried, never followed to another host.
        maxRedirects: 0,
        maxBytes: RESPONSE_BYTES_READ,
        timeoutMs: this.config.timeoutMs,
      });
      await res.body.cancel().catch(() => undefined);
      return { kind: "response", status: res.status };
    } catch (err) {
      if (err instanceof RemoteFetchError && err.code === "timeout") return { kind: "timeout" };
      return { kind: "network", message: err instanceof RemoteFetchError ? err.message.replace(/^request failed: /, "") : String(err) };
    }
  }
}
