/**
 * One job in full: its fields, errors, document, and its event timeline from the stored
 * log (`GET /jobs/{id}/events`), then live from the job's WebSocket, resuming after the
 * last `seq` seen.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { errorDetail, type Api } from "../api";
import type { Claims } from "../auth";
import { formatBytes, formatTime, percent } from "../format";
import { mergeJob } from "../jobs-state";
import { LiveStream } from "../live";
import { formatRoute } from "../route";
import { isTerminal, type Job, type JobEvent, type JobSnapshotFrame } from "../../src/client/types";
import { JobActions } from "./JobActions";
import { ProgressBar } from "./ProgressBar";
import { StatusBadge } from "./StatusBadge";

/** `pagesExtracted` → "Pages extracted". */
function counterLabel(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function JobDetail({ api, claims, jobId }: { api: Api; claims: Claims; jobId: string }) {
  const [job, setJob] = useState<Job | null>(null);
  const [events, setEvents] = useState<JobEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [deleted, setDeleted] = useState(false);
  const lastSeq = useRef(0);

  useEffect(() => {
    let stream: LiveStream | null = null;
    let stopped = false;
    const refresh = () => api.getJob(jobId).then(setJob, (err) => setError(errorDetail(err)));
    const appendEvents = (items: JobEvent[]) => {
      const fresh = items.filter((e) => e.seq > lastSeq.current);
      if (!fresh.length) return;
      lastSeq.current = fresh[fresh.length - 1]!.seq;
      setEvents((all) => [...all, ...fresh]);
    };
    (async () => {
      try {
        const [full, log] = await Promise.all([api.getJob(jobId), api.jobEvents(jobId)]);
        if (stopped) return;
        setJob(full);
        appendEvents(log.items);
        stream = new LiveStream(
          (after) => api.socketUrl(`jobs/${jobId}/events`, after),
          (msg) => (typeof msg.seq === "number" ? msg.seq : undefined),
          {
            onMessage(msg) {
              if (msg.type === "job.snapshot") return setJob((msg as unknown as JobSnapshotFrame).job);
              const frame = msg as unknown as JobEvent;
              appendEvents([frame]);
              setJob((j) => (j ? mergeJob(j, frame.job) : j));
              if (frame.type === "job.deleted") setDeleted(true);
              else if (isTerminal(frame.job.status)) void refresh();
            },
            onGap() {
              void refresh();
              void api.jobEvents(jobId, lastSeq.current).then((l) => appendEvents(l.items));
            },
          },
        ).start(Math.max(log.lastSeq, lastSeq.current));
      } catch (err) {
        setError(errorDetail(err));
      }
    })();
    return () => {
      stopped = true;
      stream?.stop();
    };
  }, [api, jobId]);

  const back = formatRoute({ view: "jobs", projectId: api.projectId, filters: {} });
  if (!job) {
    return (
      <section class="card">
        <p>
          <a href={back}>← Jobs</a>
        </p>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : (
          <p>Loading…</p>
        )}
      </section>
    );
  }
  const name = job.originalFilename || job.sourcePath;
  const fields: [string, preact.ComponentChildren][] = [
    ["Job id", <code>{job.id}</code>],
    ["Project", job.projectId],
    ["Source id", job.sourceId ?? "—"],
    ["Source path", job.sourcePath],
    ["Size", `${formatBytes(job.byteSize)} (${job.byteSize.toLocaleString()} bytes)`],
    ["Type", job.mimeType],
    ["Deep scan", job.isDeepScan ? "yes" : "no"],
    ["Attempts", job.attempts],
    ["Created by", job.createdBy],
    ["Created", formatTime(job.createdAt)],
    ["Started", job.startedAt ? formatTime(job.startedAt) : "—"],
    ["Finished", job.completedAt ? formatTime(job.completedAt) : "—"],
    ...Object.entries(job.counters).map(([k, v]): [string, preact.ComponentChildren] => [counterLabel(k), v.toLocaleString()]),
  ];
  return (
    <div class="job-detail">
      <section class="card" aria-labelledby="job-title">
        <p>
          <a href={back}>← Jobs</a>
        </p>
        <div class="section-head">
          <h1 id="job-title">{name}</h1>
          <StatusBadge status={job.status} />
          <span class="muted">{job.stage}</span>
          <span class="spacer" />
          {!deleted && (
            <JobActions
              api={api}
              claims={claims}
              job={job}
              onUpdated={(j) => setJob((old) => (old ? mergeJob(old, j) : j))}
              onDeleted={() => setDeleted(true)}
              onError={setError}
            />
          )}
        </div>
        {deleted && <p class="notice">This job was deleted.</p>}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <ProgressBar value={job.progress} label={`Progress of ${name}`} tone={job.status.toLowerCase()} />
        {job.canonicalDocumentId && (
          <p>
            Document: <a href={formatRoute({ view: "document", projectId: api.projectId, documentId: job.canonicalDocumentId })}>{job.canonicalDocumentId}</a>
          </p>
        )}
        {job.errorMessage && <p class="error">{job.errorMessage}</p>}
        <dl class="fields">
          {fields.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      </section>
      {job.errors.length > 0 && (
        <section class="card" aria-labelledby="errors-title">
          <h2 id="errors-title">Errors</h2>
          <ul class="errors">
            {job.errors.map((e, i) => (
              <li key={i}>
                <time dateTime={e.at}>{formatTime(e.at)}</time> <strong>{e.code}</strong> in {e.stage}: {e.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section class="card" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <ol class="timeline" aria-live="polite">
          {events.map((e) => (
            <li key={e.seq} data-seq={e.seq}>
              <span class="seq">#{e.seq}</span>
              <time dateTime={e.at}>{formatTime(e.at)}</time>
              <span class="type">{e.type}</span>
              <span class="muted">
                {e.job.stage} · {percent(e.job.progress)}
              </span>
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}
