/**
 * The isolate's memory of "this batch accepts this caller's items": the create route
 * (`POST /jobs?batchId=`) asks the batch's object whether it takes an item before it
 * stores the upload, and a client streaming many files into one batch would otherwise ask
 * once per file. One batch object serialises every one of its calls, so that ask is a
 * third of the object's work per item (with the item's creation and end reports). A
 * positive answer is kept here for `ACCEPT_ANSWER_TTL_MS`, so the object is asked about
 * once per that interval per isolate and caller instead.
 *
 * Why a remembered "yes" is safe:
 * - Only positive answers are kept. A refusal (not found, forbidden, closed, cancelled,
 *   full) is asked of the object every time.
 * - The answer is keyed by the batch, the project of the route, and every claim of the
 *   caller that `authorize()` reads (`sub`, `roles`, `projects`), so one caller's "yes"
 *   never answers for another token, role or project. A token's claims cannot change
 *   while it is valid.
 * - The object still decides: the job's creation report (`itemReport`) is refused when
 *   the batch has closed, been cancelled or filled up meanwhile, and the job then cancels
 *   itself before it ever starts (src/jobs/batch-link.ts); the create answers 409 with
 *   the reason. So a batch that closes inside the window still takes no item; the window
 *   only decides whether the refusal comes before or after the upload is stored.
 * - A close, cancel or delete sent through this isolate forgets the batch at once
 *   (`forget`), so this isolate answers 409 from the object right after it.
 *
 * No Cloudflare types: the ask is injected, and the clock, so the rules are tested alone.
 */
import type { Access } from "../jobs/job-access";

/**
 * How long a positive answer is trusted. Long enough that a client adding files as fast
 * as it can (several a second, 8 in flight) asks the batch object once per couple of
 * seconds rather than once per file; short enough that an isolate which did not see a
 * close learns of it within a few uploads, each of which the batch refuses anyway.
 */
export const ACCEPT_ANSWER_TTL_MS = 2_000;

/** At most this many answers are kept (the oldest go first), so the isolate's memory stays bounded. */
export const MAX_ACCEPT_ANSWERS = 1_000;

interface Answer {
  batchId: string;
  /** Clock ms after which the answer is asked again. */
  expiresAt: number;
}

/** One caller's view of one batch: the key of a remembered answer. */
function answerKey(batchId: string, access: Access): string {
  const { sub, roles, projects } = access.principal;
  return JSON.stringify([batchId, access.projectId ?? null, sub, roles, projects]);
}

/**
 * Positive `accepting` answers of batch objects, per batch and caller. Entries are kept in
 * the order they were answered; every answer lives as long, so the oldest entry is also
 * the first to expire, and expired entries are swept from the front as new ones come in.
 */
export class BatchAcceptCache {
  private readonly answers = new Map<string, Answer>();
  /** Bumped by every `forget`: an ask sent before it may carry a "yes" the forget made stale. */
  private generation = 0;

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly ttlMs = ACCEPT_ANSWER_TTL_MS,
    private readonly maxAnswers = MAX_ACCEPT_ANSWERS,
  ) {}

  /**
   * Resolves when `batchId` accepts an item from `access`: at once from a fresh positive
   * answer, else by `ask`, which asks the batch's object and throws when it refuses (the
   * refusal reaches the caller and nothing is remembered).
   */
  async requireAccepting(batchId: string, access: Access, ask: () => Promise<void>): Promise<void> {
    const key = answerKey(batchId, access);
    if (this.fresh(key)) return;
    const generation = this.generation;
    await ask();
    if (generation === this.generation) this.remember(key, batchId);
  }

  /** Drops every answer about `batchId`, and makes answers to asks already sent not count. */
  forget(batchId: string): void {
    this.generation += 1;
    for (const [key, answer] of this.answers) if (answer.batchId === batchId) this.answers.delete(key);
  }

  /** How many answers are held (for tests of the bound). */
  get size(): number {
    return this.answers.size;
  }

  private fresh(key: string): boolean {
    const answer = this.answers.get(key);
    if (!answer) return false;
    if (answer.expiresAt > this.clock()) return true;
    this.answers.delete(key);
    return false;
  }

  private remember(key: string, batchId: string): void {
    const now = this.clock();
    // Re-inserted, so the order of the map stays the order of expiry.
    this.answers.delete(key);
    this.answers.set(key, { batchId, expiresAt: now + this.ttlMs });
    for (const [oldest, answer] of this.answers) {
      if (this.answers.size <= this.maxAnswers && answer.expiresAt > now) break;
      this.answers.delete(oldest);
    }
  }
}

/** The isolate's cache: module state lives as long as the isolate, across its requests. */
export const acceptedBatches = new BatchAcceptCache();
