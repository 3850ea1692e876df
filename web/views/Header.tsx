/** The top bar: the project, who is signed in, and the way out. */
import { formatRoute } from "../route";
import type { Session } from "../session";

export function Header({ session, projectId, onSignOut }: { session: Session; projectId: string | null; onSignOut(): void }) {
  const { claims } = session;
  return (
    <header class="top">
      <a class="brand" href={formatRoute({ view: "home" })}>
        edge-ingest
      </a>
      {projectId && (
        <nav aria-label="Project">
          <a href={formatRoute({ view: "jobs", projectId, filters: {} })}>
            Jobs <span class="muted">· {projectId}</span>
          </a>{" "}
          <a href={formatRoute({ view: "documents", projectId, filters: {} })}>Documents</a> <a href={formatRoute({ view: "batches", projectId })}>Batches</a>
        </nav>
      )}
      <span class="spacer" />
      <a href="/docs">API docs</a>
      <span class="who" title={`roles: ${claims.roles.join(", ") || "none"}`}>
        {claims.sub || "unknown"} <span class="muted">({claims.roles.join(", ") || "no role"})</span>
      </span>
      <button type="button" class="link" onClick={onSignOut}>
        Sign out
      </button>
    </header>
  );
}
