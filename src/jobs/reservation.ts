/**
 * The source a job's object was reserved for before its upload reached R2 (see
 * `IngestJob.reserve`). At most one row: the object of one job id guards one key.
 * Synchronous, like the other stores, so it commits with whatever write it sits beside.
 */
import { sourceKey } from "../storage-keys";

/** The job a reservation is for: enough to name its source in R2. */
export interface ReservedSource {
  projectId: string;
  id: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS reservation (
  k INTEGER PRIMARY KEY CHECK (k = 1),
  project_id TEXT NOT NULL,
  job_id TEXT NOT NULL
);
`;

export class ReservationStore {
  constructor(private readonly storage: DurableObjectStorage) {
    storage.sql.exec(SCHEMA);
  }

  save(source: ReservedSource): void {
    this.storage.sql.exec(
      "INSERT INTO reservation (k, project_id, job_id) VALUES (1, ?, ?) ON CONFLICT (k) DO UPDATE SET project_id = excluded.project_id, job_id = excluded.job_id",
      source.projectId,
      source.id,
    );
  }

  /** The R2 key of the reserved source, or null when there is no reservation. */
  sourceKey(): string | null {
    const row = this.storage.sql.exec<{ project_id: string; job_id: string }>("SELECT project_id, job_id FROM reservation WHERE k = 1").toArray()[0];
    return row ? sourceKey({ projectId: row.project_id, id: row.job_id }) : null;
  }

  clear(): void {
    this.storage.sql.exec("DELETE FROM reservation");
  }
}

/** The two timer calls a reservation needs from its object's registry. */
interface ReservationTimer {
  schedule(kind: "reservation", at: number): void;
  unschedule(kind: "reservation"): void;
}

/**
 * A job's object's hold on the source its create is uploading: saved before the upload's
 * last byte, taken over by `create`, and on its `reservation` timer (or a `release`) the
 * source is deleted if no job came of it.
 */
export class UploadReservation {
  /** Set when the reserved source starts being deleted: a `create` meanwhile is refused. */
  abandoned = false;
  private readonly store: ReservationStore;

  private get jobExists(): boolean {
    return this.jobStore.job() !== null;
  }

  constructor(
    storage: DurableObjectStorage,
    private readonly timers: ReservationTimer,
    /** Read at each use, not kept: the object's `env` is what tests and the runtime hand it. */
    private readonly bucket: () => R2Bucket,
    /** The job's store: a reservation ends once it holds a job. */
    private readonly jobStore: { job(): unknown },
  ) {
    this.store = new ReservationStore(storage);
  }

  /** Holds `source` for `holdMs`, unless the job already exists. */
  hold(source: ReservedSource, holdMs: number): void {
    if (this.jobExists) return;
    this.store.save(source);
    this.timers.schedule("reservation", Date.now() + holdMs);
  }

  /** The job was created: the source is its own now. Call in the same synchronous block as the job's commit. */
  taken(): void {
    this.store.clear();
    this.timers.unschedule("reservation");
  }

  /** No job will be created: the source goes now. */
  async release(): Promise<void> {
    await this.expire();
    this.timers.unschedule("reservation");
  }

  /**
   * Ends the reservation: if no job was created, deletes the reserved source (deleting a
   * missing key is fine, so this is idempotent) and leaves no row. A failed delete throws,
   * and the timer retries it with backoff.
   */
  async expire(): Promise<void> {
    const key = this.store.sourceKey();
    if (this.jobExists || key === null) return this.store.clear();
    // No await between the check above and this: R2 I/O opens the input gate, and a
    // create arriving now must not make a job whose source is being deleted.
    this.abandoned = true;
    await this.bucket().delete(key);
    this.store.clear();
  }
}
