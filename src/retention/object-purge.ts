/**
 * What a job's or a batch's object does when the retention purger asks it to go (the
 * rules are `policy.ts`'s): kept out of IngestJob and IngestBatch, which only hand over
 * their store, storage and clean-up.
 *
 * The object stops answering first (its store forgets the record, with no await before:
 * a retry or cancel that arrives meanwhile finds nothing), then removes what it has
 * outside itself, then its alarm and all its storage. A failure before `deleteAll` puts
 * the record back and throws: the purger tries again later. Once `deleteAll` has run the
 * object is empty, and a later purge answers `gone`.
 */
import { isActive } from "../contract/status";
import { type Ending, isDue, type PurgeOutcome, type PurgeRequest } from "./policy";

/** What an object hands over to be purged. */
export interface PurgeableObject<T extends Ending & { status: string }> {
  /** The record (job or batch), null when the object has none. */
  record: () => T | null;
  /** Whether the record can still change status (a job QUEUED or RUNNING; a batch not ended). */
  active: (record: T) => boolean;
  /** The store stops returning the record (`reload` brings it back from storage). */
  forget: () => void;
  reload: () => void;
  /** Removes what the record left outside the object (R2); idempotent; throws to be retried. */
  removeOutside: (record: T) => Promise<void>;
  /** Closes the object's WebSockets. */
  closeWatchers: () => void;
  storage: Pick<DurableObjectStorage, "deleteAlarm" | "deleteAll">;
}

export async function purgeObject<T extends Ending & { status: string }>(object: PurgeableObject<T>, request: PurgeRequest): Promise<PurgeOutcome> {
  const record = object.record();
  if (!record) return "gone";
  if (object.active(record)) return "active";
  if (!isDue(record, request)) return "kept";
  object.forget();
  try {
    await object.removeOutside(record);
  } catch (err) {
    object.reload();
    throw err;
  }
  object.closeWatchers();
  await object.storage.deleteAlarm();
  await object.storage.deleteAll();
  return "purged";
}

/** A job is active while QUEUED or RUNNING. */
export const jobActive = (job: { status: string }) => isActive(job.status);
