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
