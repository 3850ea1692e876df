/**
 * Hash routes: the view and its filters live in the URL (`#/p/<project>/jobs?status=…`),
 * so a reload or a shared link shows the same thing. The fragment never reaches the server.
 */
import { JOB_STAGES, JOB_STATUSES, type DocumentFilters, type JobFilters, type JobStage, type JobStatus } from "../src/client/types";

export type Route =
  | { view: "home" }
  | { view: "jobs"; projectId: string; filters: JobFilters }
  | { view: "job"; projectId: string; jobId: string }
  | { view: "document"; projectId: string; documentId: string }
  | { view: "documents"; projectId: string; filters: DocumentSearch }
  | { view: "batches"; projectId: string }
  | { view: "batch"; projectId: string; batchId: string }
  | { view: "notFound" };

/** The documents view's filters, as the list route takes them. */
export type DocumentSearch = Pick<DocumentFilters, "q" | "language" | "duplicateOf" | "contentHash">;
const DOCUMENT_FILTERS = ["q", "language", "duplicateOf", "contentHash"] as const;

const enc = encodeURIComponent;

export function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeSegment);
  // A segment that is not valid percent-encoding names nothing (a mangled or hand-edited link).
  if (parts.includes(null)) return { view: "notFound" };
  if (parts[0] !== "p" || !parts[1]) return { view: "home" };
  const projectId = parts[1];
  if (parts[2] === "jobs" && parts[3]) return { view: "job", projectId, jobId: parts[3] };
  if (parts[2] === "documents" && parts[3]) return { view: "document", projectId, documentId: parts[3] };
  if (parts[2] === "batches") return parts[3] ? { view: "batch", projectId, batchId: parts[3] } : { view: "batches", projectId };
  const q = new URLSearchParams(query);
  if (parts[2] === "documents") {
    const filters: DocumentSearch = {};
    for (const k of DOCUMENT_FILTERS) if (q.get(k)) filters[k] = q.get(k)!;
    return { view: "documents", projectId, filters };
  }
  const filters: JobFilters = {};
  const status = q.get("status");
  const stage = q.get("stage");
  const sourceId = q.get("sourceId");
  if (status && (JOB_STATUSES as readonly string[]).includes(status)) filters.status = status as JobStatus;
  if (stage && (JOB_STAGES as readonly string[]).includes(stage)) filters.stage = stage as JobStage;
  if (sourceId) filters.sourceId = sourceId;
  const batchId = q.get("batchId");
  if (batchId) filters.batchId = batchId;
  return { view: "jobs", projectId, filters };
}

function decodeSegment(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

export function formatRoute(route: Route): string {
  switch (route.view) {
    case "home":
    case "notFound":
      return "#/";
    case "job":
      return `#/p/${enc(route.projectId)}/jobs/${enc(route.jobId)}`;
    case "document":
      return `#/p/${enc(route.projectId)}/documents/${enc(route.documentId)}`;
    case "batches":
      return `#/p/${enc(route.projectId)}/batches`;
    case "batch":
      return `#/p/${enc(route.projectId)}/batches/${enc(route.batchId)}`;
    case "documents":
    case "jobs": {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(route.filters)) if (v) q.set(k, String(v));
      const s = q.toString();
      return `#/p/${enc(route.projectId)}/${route.view}${s ? `?${s}` : ""}`;
    }
  }
}
