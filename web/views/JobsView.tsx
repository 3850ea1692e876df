/**
 * The project's jobs: newest first, more on scroll (cursor), filters in the URL, and
 * live over the project WebSocket (snapshot → apply; frames → apply; reconnect with
 * `?after=<projectSeq>`). Without a snapshot it still works: the list comes from
 * `GET /jobs` and frames patch it.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { errorDetail, type Api } from "../api";
import { canUpload, type Claims } from "../auth";
import { formatAge, formatBytes, middleEllipsis } from "../format";
import { addPage, applyFrame, applySnapshot, emptyList, mergeJob, removeJob, upsertJobs, type JobsList, type LiveJob } from "../jobs-state";
import { LiveStream } from "../live";
import { formatRoute } from "../route";
import { EdgeIngestError } from "../../src/client/index";
import { isActive, JOB_STAGES, JOB_STATUSES, type Job, type JobFilters, type ProjectEventFrame, type ProjectSnapshotFrame } from "../../src/client/types";
import { JobActions } from "./JobActions";
import { ProgressBar } from "./ProgressBar";
import { StatusBadge } from "./StatusBadge";
import { Uploads } from "./Uploads";

export function JobsView({ api, claims, filters }: { api: Api; claims: Claims; filters: JobFilters }) {
  const [list, setList] = useState<JobsList>(emptyList);
  const [error, setError] = useState<string | null>(null);
  const [connected, setConnected] = useState(false);
  const [, setTick] = useState(0);
  const current = useRef(list);
  const loading = useRef(false);
  /** Every job heard of, filtered out or not: what the upload card shows. */
  const latest = useRef(new Map<string, LiveJob>());
  const [forbidden, setForbidden] = useState(false);
  const sentinel = useRef<HTMLDivElement>(null);
  const filtersKey = JSON.stringify(filters);

  const commit = (next: JobsList) => {
    current.current = next;
    for (const job of next.jobs) remember(job);
    setList(next);
  };
  const remember = (job: LiveJob) => {
    const old = latest.current.get(job.id);
    latest.current.set(job.id, old ? mergeJob(old, job) : job);
  };
  const fetchJob = (jobId: string) =>
    api.getJob(jobId).then(
      (job) => {
        remember(job);
        commit(upsertJobs(current.current, [job], filters));
      },
      () => commit(removeJob(current.current, jobId)),
    );

  const loadMore = async (fresh = false) => {
    const now = current.current;
    if (loading.current || (!fresh && now.loaded && !now.nextCursor)) return;
    loading.current = true;
    try {
      const page = await api.listJobs(filters, fresh ? null : now.nextCursor);
      commit(
        fresh ? { ...upsertJobs(current.current, page.items, filters), loaded: true, total: page.total ?? null } : addPage(current.current, page, filters),
      );
    } catch (err) {
      // The token does not reach this project: say so, and offer nothing that needs it.
      if (err instanceof EdgeIngestError && err.status === 403) setForbidden(true);
      setError(errorDetail(err));
    } finally {
      loading.current = false;
    }
  };
  const loadMoreRef = useRef(loadMore);
  loadMoreRef.current = loadMore;

  useEffect(() => {
    commit(emptyList());
    setError(null);
    void loadMore();
    const stream = new LiveStream(
      (after) => api.socketUrl("events", after),
      (msg) => (typeof msg.projectSeq === "number" ? msg.projectSeq : undefined),
      {
        onMessage(msg) {
          if (msg.type === "project.snapshot") {
            const { list: next, fetch } = applySnapshot(current.current, (msg as unknown as ProjectSnapshotFrame).jobs);
            commit(next);
            fetch.forEach(fetchJob);
          } else if (typeof msg.jobId === "string" && msg.job) {
            const frame = msg as unknown as ProjectEventFrame;
            if (frame.type !== "job.deleted") remember(frame.job);
            const { list: next, fetch } = applyFrame(current.current, frame);
            commit(next);
            if (fetch) void fetchJob(fetch);
          }
        },
        onGap() {
          // Reconnected with no position to resume from: reload what is shown.
          void loadMoreRef.current(true);
          current.current.jobs.filter((j) => isActive(j.status)).forEach((j) => fetchJob(j.id));
        },
        onStatus: setConnected,
      },
    ).start();
    const tick = setInterval(() => setTick((t) => t + 1), 15_000);
    return () => {
      stream.stop();
      clearInterval(tick);
    };
    // Filters compare by value (a new object per hash change); `api` is per project.
  }, [api, filtersKey]);

  useEffect(() => {
    const el = sentinel.current;
    if (!el) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void loadMoreRef.current();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [list.loaded]);

  const setFilter = (patch: Partial<JobFilters>) => {
    const next = { ...filters, ...patch };
    for (const k of Object.keys(next) as (keyof JobFilters)[]) if (!next[k]) delete next[k];
    location.hash = formatRoute({ view: "jobs", projectId: api.projectId, filters: next });
  };
  const onUpdated = (job: Job) => {
    remember(job);
    commit(upsertJobs(current.current, [job], filters));
  };

  return (
    <div class="jobs-view">
      {canUpload(claims) && !forbidden && <Uploads api={api} latest={latest.current} onCreated={onUpdated} />}
      <section class="card" aria-labelledby="jobs-title">
        <div class="section-head">
          <h1 id="jobs-title">Jobs</h1>
          {!forbidden && (
            <span class={`live ${connected ? "on" : "off"}`} role="status">
              {connected ? "Live" : "Connecting…"}
            </span>
          )}
          {list.total !== null && <span class="muted">{list.total} in all</span>}
        </div>
        <form class="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            Status
            <select value={filters.status ?? ""} onChange={(e) => setFilter({ status: (e.currentTarget.value || undefined) as JobFilters["status"] })}>
              <option value="">Any</option>
              {JOB_STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <label>
            Stage
            <select value={filters.stage ?? ""} onChange={(e) => setFilter({ stage: (e.currentTarget.value || undefined) as JobFilters["stage"] })}>
              <option value="">Any</option>
              {JOB_STAGES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <label>
            Source id
            <input
              type="search"
              value={filters.sourceId ?? ""}
              onChange={(e) => setFilter({ sourceId: e.currentTarget.value.trim() || undefined })}
              placeholder="any"
            />
          </label>
          <label>
            Batch
            <input
              type="search"
              value={filters.batchId ?? ""}
              onChange={(e) => setFilter({ batchId: e.currentTarget.value.trim() || undefined })}
              placeholder="any"
            />
          </label>
        </form>
        {error && (
          <p class="error" role="alert">
            {error}{" "}
            <button type="button" class="link" onClick={() => setError(null)}>
              Dismiss
            </button>
          </p>
        )}
        <table class="jobs">
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Status</th>
              <th scope="col">Stage</th>
              <th scope="col">Progress</th>
              <th scope="col">Size</th>
              <th scope="col">Age</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.jobs.map((job) => (
              <tr key={job.id} data-job-id={job.id} data-status={job.status}>
                <td data-label="File" class="file">
                  <a href={formatRoute({ view: "job", projectId: api.projectId, jobId: job.id })} title={job.sourcePath}>
                    {middleEllipsis(job.sourcePath || job.originalFilename)}
                  </a>
                </td>
                <td data-label="Status">
                  <StatusBadge status={job.status} />
                </td>
                <td data-label="Stage">{job.stage}</td>
                <td data-label="Progress" class="progress-cell">
                  <ProgressBar value={job.progress} label={`Progress of ${job.originalFilename || job.sourcePath}`} tone={job.status.toLowerCase()} />
                </td>
                <td data-label="Size">{job.byteSize === undefined ? "" : formatBytes(job.byteSize)}</td>
                <td data-label="Age">
                  <time dateTime={job.createdAt} title={job.createdAt}>
                    {formatAge(job.createdAt)}
                  </time>
                </td>
                <td data-label="Actions">
                  <JobActions
                    api={api}
                    claims={claims}
                    job={job}
                    onUpdated={onUpdated}
                    onDeleted={(id) => commit(removeJob(current.current, id))}
                    onError={setError}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.loaded && list.jobs.length === 0 && <p class="empty">No jobs{Object.keys(filters).length ? " match these filters" : " yet"}.</p>}
        <div ref={sentinel} class="sentinel" aria-hidden="true" />
        {list.nextCursor && (
          <button type="button" class="secondary more" onClick={() => void loadMore()}>
            Load more jobs
          </button>
        )}
      </section>
    </div>
  );
}
