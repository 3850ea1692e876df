/**
 * Upload by drag and drop or a picker, several files at once. Each file shows its upload
 * progress (bytes sent on the raw streaming route), then its job's progress from the
 * project stream.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { errorDetail, type Api } from "../api";
import { formatBytes } from "../format";
import { mergeJob } from "../jobs-state";
import { formatRoute } from "../route";
import type { Job, JobEvent } from "../../src/client/types";
import { ProgressBar } from "./ProgressBar";
import { StatusBadge } from "./StatusBadge";

interface UploadItem {
  key: number;
  name: string;
  size: number;
  sent: number;
  error: string | null;
  job: Job | null;
  abort: (() => void) | null;
}

export interface UploadsProps {
  api: Api;
  /** Job frames from the project stream; returns an unsubscribe. */
  subscribe(listener: (frame: JobEvent) => void): () => void;
  onCreated(job: Job): void;
}

let nextKey = 1;

export function Uploads({ api, subscribe, onCreated }: UploadsProps) {
  const [items, setItems] = useState<UploadItem[]>([]);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const update = (key: number, patch: (i: UploadItem) => Partial<UploadItem>) => setItems((all) => all.map((i) => (i.key === key ? { ...i, ...patch(i) } : i)));

  useEffect(
    () =>
      subscribe((frame) =>
        setItems((all) => all.map((i) => (i.job && i.job.id === frame.jobId && frame.type !== "job.deleted" ? { ...i, job: mergeJob(i.job, frame.job) } : i))),
      ),
    [subscribe],
  );

  const start = (files: FileList | File[]) => {
    for (const file of Array.from(files)) {
      const key = nextKey++;
      const upload = api.upload(file, (sent) => update(key, () => ({ sent })));
      setItems((all) => [{ key, name: file.name, size: file.size, sent: 0, error: null, job: null, abort: upload.abort }, ...all]);
      upload.done.then(
        (job) => {
          update(key, (i) => ({ sent: i.size, abort: null, job }));
          onCreated(job);
        },
        (err) => update(key, () => ({ error: errorDetail(err), abort: null })),
      );
    }
  };

  return (
    <section class="card uploads" aria-labelledby="uploads-title">
      <h2 id="uploads-title">Upload</h2>
      <div
        class={`dropzone${dragging ? " dragging" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          if (e.dataTransfer?.files.length) start(e.dataTransfer.files);
        }}
      >
        <p>Drop PDF, Markdown, HTML or text files here, or</p>
        <label class="button" for="file-input">
          Choose files…
        </label>
        <input
          ref={input}
          id="file-input"
          class="visually-hidden"
          type="file"
          multiple
          accept=".pdf,.md,.markdown,.txt,.text,.html,.htm,application/pdf,text/*"
          onChange={(e) => {
            const files = e.currentTarget.files;
            if (files?.length) start(files);
            e.currentTarget.value = "";
          }}
        />
      </div>
      {items.length > 0 && (
        <ul class="upload-list">
          {items.map((i) => (
            <li key={i.key} class="upload" data-upload={i.name} data-job-id={i.job?.id}>
              <div class="upload-head">
                <span class="file">{i.job ? <a href={formatRoute({ view: "job", projectId: api.projectId, jobId: i.job.id })}>{i.name}</a> : i.name}</span>
                <span class="muted">{formatBytes(i.size)}</span>
                {i.job && <StatusBadge status={i.job.status} />}
                {i.abort && (
                  <button type="button" class="secondary" aria-label={`Stop uploading ${i.name}`} onClick={i.abort}>
                    Stop
                  </button>
                )}
              </div>
              {i.error ? (
                <p class="error" role="alert">
                  {i.name}: {i.error}
                </p>
              ) : i.job ? (
                <ProgressBar value={i.job.progress} label={`Job progress of ${i.name}`} tone={i.job.status.toLowerCase()} />
              ) : (
                <ProgressBar value={i.size ? i.sent / i.size : 0} label={`Upload progress of ${i.name}`} tone="upload" />
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
