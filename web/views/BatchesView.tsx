/**
 * Batches (DESIGN §13): the project's batches, and one batch with its counts as a stacked
 * bar kept live over the batch's WebSocket, its items filterable by status, and Cancel and
 * Retry where the token's roles allow them. An arXiv harvest also shows its counters and
 * each paper's title, linked to arXiv.
 */
import { useCallback, useEffect, useState } from "preact/hooks";
import { errorDetail, type Api } from "../api";
import { canCancel, canRetry, type Claims } from "../auth";
import { formatAge } from "../format";
import { LiveStream } from "../live";
import { formatRoute } from "../route";
import type { Batch, BatchCounts, BatchItem } from "../../src/client/types";
import { HarvestPanel, PaperTitle } from "./HarvestPanel";

type BatchItemStatus = BatchItem["status"];
const BATCH_ITEM_STATUSES: BatchItemStatus[] = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "SKIPPED"];

const SEGMENTS: { key: keyof Omit<BatchCounts, "total">; label: string }[] = [
  { key: "completed", label: "completed" },
  { key: "failed", label: "failed" },
  { key: "cancelled", label: "cancelled" },
  { key: "skipped", label: "skipped" },
  { key: "running", label: "running" },
  { key: "queued", label: "queued" },
];

/** The counts as one stacked bar, with a legend that says the numbers. */
export function CountsBar({ counts }: { counts: BatchCounts }) {
  const total = Math.max(1, counts.total);
  return (
    <div class="counts">
      <div class="stacked" role="img" aria-label={SEGMENTS.map((s) => `${counts[s.key]} ${s.label}`).join(", ")}>
        {SEGMENTS.map((s) => counts[s.key] > 0 && <span key={s.key} class={`seg seg-${s.key}`} style={{ width: `${(100 * counts[s.key]) / total}%` }} />)}
      </div>
      <p class="legend">
        {SEGMENTS.map((s) => (
          <span key={s.key} class={`legend-${s.key}`}>
            {counts[s.key]} {s.label}
          </span>
        ))}
        <span class="muted">of {counts.total}</span>
      </p>
    </div>
  );
}

export function BatchesView({ api, projectId }: { api: Api; projectId: string }) {
  const [batches, setBatches] = useState<Batch[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.listBatches().then(
      (p) => setBatches(p.items),
      (e) => setError(errorDetail(e)),
    );
  }, [api]);
  return (
    <section class="card" aria-labelledby="batches-title">
      <div class="section-head">
        <h1 id="batches-title">Batches</h1>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {batches && batches.length === 0 && <p class="empty">No batches yet.</p>}
      <ul class="batches">
        {batches?.map((b) => (
          <li key={b.id}>
            <a href={formatRoute({ view: "batch", projectId, batchId: b.id })}>
              <strong>{b.kind}</strong> <span class={`badge badge-${b.status.toLowerCase()}`}>{b.status}</span>{" "}
              {b.kind === "arxiv" && typeof b.source.query === "string" && <code>{b.source.query}</code>} <span class="muted">{formatAge(b.createdAt)}</span>
            </a>
            <CountsBar counts={b.counts} />
          </li>
        ))}
      </ul>
    </section>
  );
}

export function BatchDetail({ api, claims, projectId, batchId }: { api: Api; claims: Claims; projectId: string; batchId: string }) {
  const [batch, setBatch] = useState<Batch | null>(null);
  const [items, setItems] = useState<BatchItem[]>([]);
  const [status, setStatus] = useState<BatchItemStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const reload = useCallback(async () => {
    try {
      const [b, page] = await Promise.all([api.getBatch(batchId), api.batchItems(batchId, status)]);
      setBatch(b);
      setItems(page.items);
    } catch (e) {
      setError(errorDetail(e));
    }
  }, [api, batchId, status]);

  useEffect(() => {
    void reload();
    // Counts move with every batch frame; the items list is re-read at most once a second.
    let pending: ReturnType<typeof setTimeout> | null = null;
    const stream = new LiveStream(
      (after) => api.socketUrl(`batches/${encodeURIComponent(batchId)}/events`, after),
      (msg) => (typeof msg.seq === "number" ? msg.seq : undefined),
      {
        onMessage(msg) {
          const frame = msg as { batch?: Partial<Batch> };
          if (frame.batch) setBatch((b) => (b ? { ...b, status: frame.batch!.status ?? b.status, counts: frame.batch!.counts ?? b.counts } : b));
          pending ??= setTimeout(() => {
            pending = null;
            void reload();
          }, 1000);
        },
        onGap: () => void reload(),
      },
    ).start();
    return () => {
      stream.stop();
      if (pending) clearTimeout(pending);
    };
  }, [api, batchId, reload]);

  // A harvest's counters move with every page read, which sends no batch frame when the
  // page brings no new item (metadata only, unchanged papers): re-read it while it runs.
  const harvesting = batch?.kind === "arxiv" && !["COMPLETED", "FAILED", "CANCELLED"].includes(batch.status);
  useEffect(() => {
    if (!harvesting) return;
    const timer = setInterval(() => void reload(), 2000);
    return () => clearInterval(timer);
  }, [harvesting, reload]);

  const command = async (verb: "cancel" | "retry") => {
    setBusy(true);
    try {
      setBatch(await api.batchCommand(batchId, verb));
      await reload();
    } catch (e) {
      setError(errorDetail(e));
    } finally {
      setBusy(false);
    }
  };

  if (!batch) return <p class="muted">{error ?? "Loading…"}</p>;
  const finished = ["COMPLETED", "FAILED", "CANCELLED"].includes(batch.status);
  return (
    <section class="card" aria-labelledby="batch-title">
      <div class="section-head">
        <h1 id="batch-title">
          Batch <code>{batch.id}</code> <span class={`badge badge-${batch.status.toLowerCase()}`}>{batch.status}</span>
        </h1>
        <span class="muted">
          {batch.kind}
          {batch.open ? " · open" : ""} · by {batch.createdBy} · {formatAge(batch.createdAt)}
        </span>
      </div>
      <CountsBar counts={batch.counts} />
      {batch.kind === "arxiv" && <HarvestPanel batch={batch} />}
      <div class="actions">
        {!finished && canCancel(claims, batch) && (
          <button type="button" class="danger" disabled={busy} onClick={() => void command("cancel")}>
            Cancel batch
          </button>
        )}
        {batch.counts.failed > 0 && batch.status !== "CANCELLED" && canRetry(claims) && (
          <button type="button" disabled={busy} onClick={() => void command("retry")}>
            Retry {batch.counts.failed} failed
          </button>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}{" "}
          <button type="button" class="link" onClick={() => setError(null)}>
            Dismiss
          </button>
        </p>
      )}
      <form class="filters" aria-label="Filter items" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status{" "}
          <select value={status ?? ""} onChange={(e) => setStatus(((e.target as HTMLSelectElement).value || null) as BatchItemStatus | null)}>
            <option value="">all</option>
            {BATCH_ITEM_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <a href={formatRoute({ view: "jobs", projectId, filters: { batchId } })}>Jobs of this batch</a>
      </form>
      <table class="items">
        <thead>
          <tr>
            <th>Status</th>
            <th>Source</th>
            <th>Stage</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {items.map((i) => (
            <tr key={i.id} class={i.retryOf ? "retry" : ""}>
              <td data-label="Status">
                <span class={`badge badge-${i.status.toLowerCase()}`}>{i.status}</span>
              </td>
              <td data-label="Source" class="file">
                <PaperTitle item={i} />
                {i.title && " "}
                {i.jobId ? <a href={formatRoute({ view: "job", projectId, jobId: i.jobId })}>{i.source}</a> : i.source}
              </td>
              <td data-label="Stage">{i.job?.stage ?? ""}</td>
              <td data-label="Error">{i.error ? `${i.error.code}: ${i.error.message}` : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {items.length === 0 && <p class="empty">No items{status ? ` with status ${status}` : ""}.</p>}
    </section>
  );
}
