/** A job's status as a coloured badge (the text carries the meaning, not the colour). */
import type { JobStatus } from "../../src/client/types";

export function StatusBadge({ status }: { status: JobStatus }) {
  return <span class={`badge status-${status.toLowerCase()}`}>{status}</span>;
}
