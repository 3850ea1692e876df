/**
 * Follows many jobs of one project over ONE project WebSocket (DESIGN §5), not a poll
 * loop per job. Frames may arrive before a job is handed over (the socket is opened
 * before the uploads start), so the latest state of every job seen is kept. A job that
 * has said nothing for a while is read once with a GET, backing off — that covers a
 * server that cannot replay after a dropped socket (a `stream.gap`) or sends no snapshot.
 */
import type { EdgeIngest, Job, JobEvent, ProjectFrame } from "../client/node";
import { isTerminal } from "../client/node";

/** What the follower knows of a job: the frame's fields (a full job has more). */
export type JobState = JobEvent["job"] & Partial<Job>;

interface Followed {
  state: JobState;
  /** When the job gets a GET if no frame came before. */
  checkAt: number;
  quietMs: number;
  resolve: (s: JobState) => void;
  promise: Promise<JobState>;
}

export interface FollowOptions {
  projectId: string;
  /** Every change of a followed job's state. */
  onChange?: (state: JobState) => void;
  /** Silence before a followed job is read by GET (default 10 s; doubles up to 60 s). */
  quietMs?: number;
  /** Most GETs per second of checks (default 20). */
  checksPerTick?: number;
}

export class ProjectFollower {
  private readonly latest = new Map<string, JobState>();
  private readonly followed = new Map<string, Followed>();
  private readonly abort = new AbortController();
  private timer: ReturnType<typeof setInterval> | undefined;
  private streamDone: Promise<void> = Promise.resolve();
  /** Set when the stream failed for good: every job is then checked by GET. */
  streamError: unknown = null;

  constructor(
    private readonly client: EdgeIngest,
    private readonly options: FollowOptions,
  ) {}

  /** Opens the project stream; resolves once its socket is open (frames of new jobs then reach it) or failed. */
  async start(): Promise<void> {
    let opened!: () => void;
    const ready = new Promise<void>((r) => (opened = r));
    const frames = this.client.projects.events({ projectId: this.options.projectId, signal: this.abort.signal, onOpen: () => opened() });
    this.streamDone = (async () => {
      try {
        for await (const frame of frames) this.onFrame(frame);
      } catch (err) {
        if (!this.abort.signal.aborted) this.streamError = err;
      } finally {
        opened();
      }
    })();
    this.timer = setInterval(() => void this.check(), 1_000);
    await ready;
  }

  /** Resolves with the job's final state (COMPLETED, FAILED, CANCELLED). */
  follow(job: Job): Promise<JobState> {
    const known = this.followed.get(job.id);
    if (known) return known.promise;
    let resolve!: (s: JobState) => void;
    const promise = new Promise<JobState>((r) => (resolve = r));
    const quietMs = this.options.quietMs ?? 10_000;
    const seen = this.latest.get(job.id);
    const state = seen && rank(seen) >= rank(job) ? { ...job, ...seen } : job;
    const entry: Followed = { state, checkAt: Date.now() + quietMs, quietMs, resolve, promise };
    this.followed.set(job.id, entry);
    this.settle(entry);
    return promise;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.abort.abort();
    await this.streamDone;
  }

  private onFrame(frame: ProjectFrame): void {
    if (frame.type === "stream.gap") {
      for (const f of this.followed.values()) f.checkAt = 0;
      return;
    }
    if (frame.type === "project.snapshot") {
      for (const job of frame.jobs) this.update(job);
      return;
    }
    // Batch frames share the stream; only jobs are followed here.
    if (frame.type === "job.deleted" || !("jobId" in frame)) return;
    this.update((frame as JobEvent).job);
  }

  private update(state: JobState): void {
    const prev = this.latest.get(state.id);
    if (prev && rank(prev) > rank(state)) return; // an older frame: progress never goes back
    this.latest.set(state.id, prev ? { ...prev, ...state } : state);
    const entry = this.followed.get(state.id);
    if (!entry) return;
    entry.state = { ...entry.state, ...state };
    entry.quietMs = this.options.quietMs ?? 10_000;
    entry.checkAt = Date.now() + entry.quietMs;
    this.options.onChange?.(entry.state);
    this.settle(entry);
  }

  private settle(entry: Followed): void {
    if (!isTerminal(entry.state.status)) return;
    this.followed.delete(entry.state.id);
    this.latest.delete(entry.state.id);
    entry.resolve(entry.state);
  }

  /** GETs the followed jobs that have been quiet too long (all of them if the stream failed). */
  private async check(): Promise<void> {
    const now = Date.now();
    const due = [...this.followed.values()]
      .filter((f) => this.streamError !== null || f.checkAt <= now)
      .sort((a, b) => a.checkAt - b.checkAt)
      .slice(0, this.options.checksPerTick ?? 20);
    for (const f of due) {
      f.quietMs = Math.min(60_000, f.quietMs * 2);
      f.checkAt = now + (this.streamError !== null ? 1_000 : f.quietMs);
    }
    await Promise.all(
      due.map(async (f) => {
        try {
          const job = await this.client.jobs.get(f.state.id, { projectId: this.options.projectId, signal: this.abort.signal });
          this.update(job);
        } catch {
          // the next check tries again
        }
      }),
    );
  }
}

/** Orders states of one job: later statuses, then more progress. */
function rank(s: { status: string; progress: number }): number {
  const order = isTerminal(s.status) ? 2 : s.status === "RUNNING" ? 1 : 0;
  return order * 2 + s.progress;
}
