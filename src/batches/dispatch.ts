/**
 * The dispatch of a batch's queued items (DESIGN §13): while fewer than BATCH_CONCURRENCY
 * items run, queued ones are admitted (QUEUED → RUNNING, URL items at most 2 per host)
 * and started by kind (src/batches/item-starts.ts). It is the batch object's `dispatch`
 * work, run after every change that may free or fill a slot and from the alarm.
 * Idempotent: an item moves QUEUED → RUNNING once, and a start left half done (an admit
 * not acknowledged, a fetch cut by an eviction) is simply done again.
 */
import type { Config } from "../config";
import type { BatchStore } from "./batch-store";
import type { BatchWorkKind } from "./ingest-batch";
import type { BatchStarter } from "./item-starts";
import { type BatchTransition, startBatch } from "./lifecycle";

/** URL items fetched at once from one host. */
const FETCHES_PER_HOST = 2;
/** Queued items read past the free slots when some may be passed over for their host. */
const HOST_LOOKAHEAD = 64;

/** What the dispatch needs of the batch's object. */
export interface DispatchHost {
  ctx: Pick<DurableObjectState, "storage" | "waitUntil">;
  store: BatchStore;
  starter: BatchStarter;
  config: () => Config;
  commit: (t: BatchTransition) => void;
  /** An item ended: the outcome once nothing is left, progress otherwise. */
  itemEnded: () => void;
  /** Puts `kind` on the schedule `delayMs` from now. */
  schedule: (kind: BatchWorkKind, delayMs: number) => void;
  /** Runs what a change made due and arms the alarm for the rest. */
  settle: () => Promise<void>;
}

export class BatchDispatch {
  constructor(private readonly host: DispatchHost) {}

  /** The `dispatch` work: lets items start, then says when it must run again (`undefined`: when a change asks). */
  async onTimer(): Promise<number | undefined> {
    await this.run();
    return this.backstop();
  }

  /**
   * A start that went on in the background (a fetch or a download) ended: its item may
   * have ended, and a slot may be free.
   */
  backgroundStartEnded(done: Promise<boolean>): void {
    const { ctx, starter, schedule, settle } = this.host;
    ctx.waitUntil(
      done
        .then((ok) => {
          if (starter.endedDuringStarts()) this.host.itemEnded();
          // A failed start stays pending; the dispatch (now, or after its backoff) runs it again.
          schedule("dispatch", ok ? 0 : 1_000);
          return settle();
        })
        .catch((err) => console.warn(JSON.stringify({ msg: "background start settle failed", error: String(err) }))),
    );
  }

  /**
   * A held job reported it exists and waits (QUEUED): when a slot is free for its item
   * (queued items before it go first), the item takes it and counts as started, and the
   * report's reply tells the job to start itself, sparing the dispatch's `admit` request.
   * An item already holding its slot whose job still waits (the first reply was lost) is
   * told again: starting is idempotent.
   */
  startOnReport(id: string): boolean {
    const { store } = this.host;
    const batch = store.batch();
    if (!batch || batch.status === "CANCELLED" || batch.deletedAt) return false;
    if (store.item(id)?.state === "QUEUED") this.admitQueued(this.host.config().batches.concurrency);
    const item = store.item(id);
    if (item?.state !== "RUNNING" || !item.hasJob || (item.pending !== "admit" && item.pending !== null)) return false;
    if (item.pending === "admit") store.markStarted(id, true);
    return true;
  }

  /** True when the dispatch has something to do: queued items and a free slot, or starts left pending. */
  due(): boolean {
    const { store } = this.host;
    const counts = store.counts();
    return (counts.queued > 0 && counts.running < this.host.config().batches.concurrency) || store.hasPendingStarts();
  }

  /** Admits queued items into free slots and runs every start still pending, a few rounds while slots free up. */
  private async run(): Promise<void> {
    const { store, starter } = this.host;
    const { concurrency } = this.host.config().batches;
    for (let round = 0; round < 4; round++) {
      const batch = store.batch();
      if (!batch || batch.status === "CANCELLED" || batch.deletedAt) return;
      this.admitQueued(concurrency);
      const failures = await starter.runPendingStarts(() => store.batch()?.status === "CANCELLED");
      if (starter.endedDuringStarts()) this.host.itemEnded();
      if (failures > 0) throw new Error(`${failures} item starts failed`);
      const counts = store.counts();
      if (counts.queued === 0 || counts.running >= concurrency) return;
    }
  }

  /**
   * While fetches run in the background, the dispatch stays on the schedule for when the
   * slowest may have timed out: if an eviction lost them, they run again then. A start
   * told to wait (an arXiv download) runs again when the gate said it may.
   */
  private backstop(): number | undefined {
    return this.host.starter.nextDispatch(this.host.config().batches.fetchTimeoutMs + 5_000);
  }

  /** QUEUED → RUNNING for as many items as there are free slots (URL items at most FETCHES_PER_HOST per host). */
  private admitQueued(concurrency: number): void {
    const { ctx, store, starter } = this.host;
    let slots = concurrency - store.counts().running;
    if (slots <= 0) return;
    const now = new Date();
    const byHost = store.fetchesByHost();
    // Items whose host is at its limit are passed over, so a batch that fetches looks
    // further ahead; an upload batch's items (jobs to admit) never are.
    const lookahead = store.batch()?.kind === "upload" ? 0 : HOST_LOOKAHEAD;
    ctx.storage.transactionSync(() => {
      for (const item of store.queued(slots + lookahead)) {
        if (slots <= 0) break;
        const pending = starter.startKind(item);
        if (pending === "fetch" && item.host) {
          const n = byHost.get(item.host) ?? 0;
          if (n >= FETCHES_PER_HOST) continue;
          byHost.set(item.host, n + 1);
        }
        if (store.markStarting(item.id, pending, now.toISOString())) slots--;
      }
      const started = store.counts().running > 0 ? startBatch(store.batch()!, now) : null;
      if (started) this.host.commit(started);
    });
  }
}
