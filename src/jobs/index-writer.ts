/**
 * The job's row in the D1 index (DESIGN §8): written when the outbox says it is due (a
 * status or stage change at once, progress at most every `INDEX_PROGRESS_INTERVAL_MS`),
 * otherwise put on the alarm's schedule; a failed write is retried from the alarm with
 * backoff, and the version guard keeps an older row from overwriting a newer one, so the
 * index always converges to the object. Every statement the job sends to D1 is counted.
 */
import type { Env } from "../env";
import { newerBookmark, projectDb, sessionDatabase } from "../db/shards";
import { upsertJobRow } from "./job-index";
import type { Job } from "./lifecycle";
import type { JobStore } from "./job-store";
import { meterD1, type IndexOutbox } from "./outbox";
import { retryBackoff, type Timers } from "./timers";

/** What the writer needs of its object. */
export interface IndexHost {
  /** `delayMs` from now, never earlier than the configured alarm floor. */
  after(delayMs: number): number;
  /** INDEX_PROGRESS_INTERVAL_MS. */
  progressIntervalMs(): number;
}

export class IndexWriter {
  /** D1 bookmark of the latest index write from this instance (null until one succeeds). */
  bookmark: string | null = null;

  constructor(
    private readonly env: Env,
    private readonly store: JobStore,
    private readonly outbox: IndexOutbox,
    private readonly timers: Timers,
    private readonly host: IndexHost,
  ) {}

  /** Records a commit of the job (`before` → `after`, now at `version`) for the next decision. */
  noteCommit(before: Job | null, after: Job, version: number): void {
    this.outbox.noteCommit(before, after, version);
  }

  /** The job's project database (or a session on it), every statement counted (DESIGN §8 budget). */
  d1(db: D1Database = projectDb(this.env, this.store.job()?.projectId ?? "")): D1Database {
    return meterD1(db, (n) => this.outbox.countStatements(n));
  }

  /**
   * Writes the row at the current version when it is due; otherwise puts the write on the
   * alarm's schedule. `fromAlarm`: the scheduled write itself, which progress alone may do.
   */
  async flush(attempts = 0, fromAlarm = false): Promise<void> {
    const state = this.store.state();
    const decision = state ? this.outbox.decide(state.version, state.indexedVersion, Date.now(), this.host.progressIntervalMs()) : ({ kind: "none" } as const);
    if (!state || decision.kind === "none") {
      this.timers.unschedule("index");
      return;
    }
    if (decision.kind === "at" && !fromAlarm) {
      // Progress only: the alarm writes it once the interval has passed (an earlier
      // entry, a retry, is kept).
      const scheduled = this.timers.scheduled("index");
      if (!scheduled) this.timers.schedule("index", Math.max(decision.due, this.host.after(0)));
      return;
    }
    try {
      const urgent = this.outbox.hasUrgent(state.indexedVersion);
      // In a D1 session, so the write's bookmark can go back to the caller (DESIGN §12).
      const session = projectDb(this.env, state.job.projectId).withSession("first-primary");
      await upsertJobRow(this.d1(sessionDatabase(session)), state.job, state.version);
      this.bookmark = newerBookmark(this.bookmark, session.getBookmark());
      this.store.markIndexed(state.version);
      this.outbox.markIndexed(Date.now(), !urgent);
      const latest = this.store.state();
      if (!latest || latest.indexedVersion >= latest.version) this.timers.unschedule("index");
    } catch (err) {
      console.warn(JSON.stringify({ msg: "index write failed", jobId: state.job.id, attempts, error: String(err).slice(0, 200) }));
      this.timers.schedule("index", this.host.after(retryBackoff(attempts)), attempts + 1);
    }
  }

  /**
   * Writes the row now if a status or stage change is not in D1 yet, unless a failed
   * write is already waiting for its retry (the alarm's backoff owns it then).
   */
  async flushUrgent(): Promise<void> {
    const state = this.store.state();
    if (!state || !this.outbox.hasUrgent(state.indexedVersion)) return;
    if ((this.timers.scheduled("index")?.attempts ?? 0) > 0) return;
    await this.flush();
  }
}
