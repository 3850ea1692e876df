/**
 * The project stream's log (DESIGN §5), kept in the ProjectHub's own SQLite: every job
 * frame of the project numbered by `projectSeq` (one more per frame, no gaps), the
 * project's QUEUED and RUNNING jobs for the snapshot, and the replay of what a
 * reconnecting watcher missed. Every method is synchronous, so an append and whatever
 * the caller writes beside it commit together.
 */
import type { BatchEvent } from "../batches/batch-store";
import type { JobEvent, ProjectEventFrame as JobProjectFrame, ProjectSnapshotFrame } from "../contract/job-event";

/** A job's or a batch's frame as the project stream sends it: the frame plus its place in the project. */
export type ProjectEventFrame = JobProjectFrame | (BatchEvent & { projectSeq: number });
import { isActive } from "../contract/status";

/** What `project.snapshot` lists per job: the frame's own job summary. */
type SnapshotJob = ProjectSnapshotFrame["jobs"][number];

/** DESIGN §5: the hub keeps at least the last 24 h or the last 10,000 frames, whichever is more. */
export const KEEP_FRAMES = 10_000;
export const KEEP_MS = 24 * 3600 * 1000;
/** Pruning runs on every this-many appended frames (one indexed DELETE). */
const PRUNE_EVERY = 256;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS project_frames (
  project_seq INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  frame TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS active_jobs (
  job_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  summary TEXT NOT NULL
);
`;

export class ProjectLog {
  private seq: number;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
    // Pruning always keeps the newest frames, so the table's max is the last seq handed out.
    this.seq = sql.exec<{ s: number | null }>("SELECT max(project_seq) AS s FROM project_frames").one().s ?? 0;
  }

  /** The newest `projectSeq`, 0 before the first frame. */
  lastSeq(): number {
    return this.seq;
  }

  /** Numbers and logs `events` (already deduplicated by the caller); returns their frames. */
  append(events: (JobEvent | BatchEvent)[], now = Date.now()): ProjectEventFrame[] {
    const frames: ProjectEventFrame[] = [];
    for (const e of events) {
      const frame: ProjectEventFrame = { ...e, projectSeq: ++this.seq };
      this.sql.exec("INSERT INTO project_frames (project_seq, at_ms, frame) VALUES (?, ?, ?)", frame.projectSeq, now, JSON.stringify(frame));
      if ("jobId" in e) this.trackActive(e);
      frames.push(frame);
      if (frame.projectSeq % PRUNE_EVERY === 0) this.prune(now);
    }
    return frames;
  }

  /** QUEUED and RUNNING jobs as of `lastSeq()`, oldest activity first. */
  snapshot(): ProjectSnapshotFrame {
    const jobs = this.sql
      .exec<{ summary: string }>("SELECT summary FROM active_jobs ORDER BY seq, job_id")
      .toArray()
      .map((r) => JSON.parse(r.summary) as SnapshotJob);
    return { type: "project.snapshot", projectSeq: this.seq, jobs };
  }

  /**
   * Whether every frame after `after` is still in the log. When not (pruned, or `after`
   * is ahead of the log), the watcher needs a fresh snapshot instead of a replay.
   */
  canReplay(after: number): boolean {
    if (after > this.seq) return false;
    if (after === this.seq) return true;
    const oldest = this.sql.exec<{ s: number | null }>("SELECT min(project_seq) AS s FROM project_frames").one().s;
    return oldest !== null && oldest <= after + 1;
  }

  /** The serialized frames after `after`, read in pages so no cursor stays open for long. */
  *framesAfter(after: number, page = 1000): Generator<string, void, void> {
    let from = after;
    for (;;) {
      const rows = this.sql
        .exec<{ project_seq: number; frame: string }>(
          "SELECT project_seq, frame FROM project_frames WHERE project_seq > ? ORDER BY project_seq LIMIT ?",
          from,
          page,
        )
        .toArray();
      for (const r of rows) yield r.frame;
      if (rows.length < page) return;
      from = rows[rows.length - 1]!.project_seq;
    }
  }

  /** Drops frames that are both older than `KEEP_MS` and outside the newest `KEEP_FRAMES`. */
  prune(now = Date.now()): void {
    this.sql.exec("DELETE FROM project_frames WHERE project_seq <= ? AND at_ms < ?", this.seq - KEEP_FRAMES, now - KEEP_MS);
  }

  private trackActive(e: JobEvent): void {
    if (isActive(e.job.status) && e.type !== "job.deleted") {
      const summary: SnapshotJob = { ...e.job, updatedAt: e.at };
      this.sql.exec(
        "INSERT INTO active_jobs (job_id, seq, summary) VALUES (?, ?, ?) ON CONFLICT (job_id) DO UPDATE SET seq = excluded.seq, summary = excluded.summary",
        e.jobId,
        this.seq,
        JSON.stringify(summary),
      );
    } else {
      this.sql.exec("DELETE FROM active_jobs WHERE job_id = ?", e.jobId);
    }
  }
}
