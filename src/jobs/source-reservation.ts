/**
 * The create use case's side of a job reservation (`IngestJob.reserve`): the job's
 * object is told about the upload before its last byte reaches R2, so an upload whose
 * create dies is deleted by the object's alarm. A create that does not make its job ends
 * with `release()`, which deletes the upload once, through the object.
 */
import type { Env } from "../env";
import type { ReservedSource } from "./reservation";

function jobStub(env: Env, jobId: string) {
  return env.INGEST_JOB.get(env.INGEST_JOB.idFromName(jobId));
}

export class SourceReservation {
  private reserved: Promise<void> | null = null;

  constructor(
    private readonly env: Env,
    private readonly source: ReservedSource,
  ) {}

  /** Starts the reservation (once) and returns it; the upload awaits it before its last byte. */
  start(): Promise<void> {
    if (!this.reserved) {
      this.reserved = jobStub(this.env, this.source.id).reserve(this.source);
      this.reserved.catch(() => {}); // awaited by the upload; this only keeps an early refusal quiet
    }
    return this.reserved;
  }

  /**
   * No job will be created by this request: the object deletes the upload now, unless a
   * job exists after all (a create whose reply was lost). If this fails, the object's
   * alarm does the same later.
   */
  async release(): Promise<void> {
    if (!this.reserved) return;
    await this.reserved.catch(() => {});
    await jobStub(this.env, this.source.id)
      .release()
      .catch((err: unknown) => console.warn(JSON.stringify({ msg: "reservation release failed", jobId: this.source.id, error: String(err) })));
  }
}
