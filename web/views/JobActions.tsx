/**
 * Cancel and Delete, shown only where the token's roles allow them (DESIGN §2). The
 * server still decides: a refusal reaches `onError` with the problem's `detail`.
 */
import { useState } from "preact/hooks";
import { errorDetail, type Api } from "../api";
import { canCancel, canDelete, type Claims } from "../auth";
import { isTerminal, type Job } from "../../src/client/types";

export interface JobActionsProps {
  api: Api;
  claims: Claims;
  job: Job;
  onUpdated(job: Job): void;
  onDeleted(jobId: string): void;
  onError(message: string): void;
}

export function JobActions({ api, claims, job, onUpdated, onDeleted, onError }: JobActionsProps) {
  const [busy, setBusy] = useState(false);
  const finished = isTerminal(job.status);
  const name = job.originalFilename || job.sourcePath;
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    try {
      await action();
    } catch (err) {
      onError(`${name}: ${errorDetail(err)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="actions">
      {!finished && canCancel(claims, job) && (
        <button
          type="button"
          class="danger"
          disabled={busy}
          aria-label={`Cancel ${name}`}
          onClick={() => run(async () => onUpdated(await api.cancelJob(job.id)))}
        >
          Cancel
        </button>
      )}
      {finished && canDelete(claims) && (
        <button
          type="button"
          class="secondary"
          disabled={busy}
          aria-label={`Delete ${name}`}
          onClick={() =>
            run(async () => {
              await api.deleteJob(job.id);
              onDeleted(job.id);
            })
          }
        >
          Delete
        </button>
      )}
    </span>
  );
}
