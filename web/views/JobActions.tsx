/**
 * Cancel and Delete, shown only where the token's roles allow them (DESIGN §2); Delete
 * asks first, since it cannot be undone. The server still decides: a refusal reaches
 * `onError` with the problem's `detail`.
 */
import { useState } from "preact/hooks";
import { errorDetail, type Api } from "../api";
import { canCancel, canDelete, type Claims } from "../auth";
import { isTerminal, type Job } from "../../src/client/types";
import { ConfirmDialog } from "./ConfirmDialog";

export interface JobActionsProps {
  api: Api;
  claims: Claims;
  job: Job;
  onUpdated(job: Job): void;
  onDeleted(jobId: string): void;
  /** Given, a failed job offers Retry; called with the job as the retry left it (RUNNING). */
  onRetried?(job: Job): void;
  onError(message: string): void;
}

/** Set once the server answers that it has no retry route: no view offers Retry again. */
let retryUnsupported = false;

export function JobActions({ api, claims, job, onUpdated, onDeleted, onRetried, onError }: JobActionsProps) {
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [retryMissing, setRetryMissing] = useState(retryUnsupported);
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
      {onRetried && job.status === "FAILED" && canCancel(claims, job) && !retryMissing && (
        <button
          type="button"
          disabled={busy}
          aria-label={`Retry ${name}`}
          onClick={() =>
            run(async () => {
              const retried = await api.retryJob(job.id);
              if (retried) return onRetried(retried);
              retryUnsupported = true;
              setRetryMissing(true);
            })
          }
        >
          Retry
        </button>
      )}
      {finished && canDelete(claims) && (
        <button type="button" class="secondary" disabled={busy} aria-label={`Delete ${name}`} onClick={() => setConfirming(true)}>
          Delete
        </button>
      )}
      {confirming && (
        <ConfirmDialog
          title={`Delete ${name}?`}
          message={
            <>
              <span class="path">{job.sourcePath}</span>: the job leaves every list and cannot be brought back. Its document stays.
            </>
          }
          confirmLabel="Delete"
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void run(async () => {
              await api.deleteJob(job.id);
              onDeleted(job.id);
            });
          }}
        />
      )}
    </span>
  );
}
