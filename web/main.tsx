/**
 * The dashboard's shell: who is signed in, which view the URL names, and the header.
 * Views get an `Api` bound to the token and the project in the URL.
 */
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { Api } from "./api";
import { formatRoute, parseRoute, type Route } from "./route";
import { clearSession, restoreSession, type Session } from "./session";
import { BatchDetail, BatchesView } from "./views/BatchesView";
import { DocumentView } from "./views/DocumentView";
import { Header } from "./views/Header";
import { JobDetail } from "./views/JobDetail";
import { JobsView } from "./views/JobsView";
import { ProjectPicker } from "./views/ProjectPicker";
import { SignIn } from "./views/SignIn";

/** Goes to a view; the URL is the state. */
function navigate(route: Route): void {
  location.hash = formatRoute(route);
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

function App() {
  const [session, setSession] = useState<Session | null>(() => restoreSession());
  const [notice, setNotice] = useState<string | null>(null);
  const route = useRoute();
  const projectId = route.view === "home" ? null : route.projectId;
  const api = useMemo(() => {
    if (!session || !projectId) return null;
    return new Api(session.token, projectId, () => {
      clearSession();
      setSession(null);
      setNotice("The server refused the token (expired or invalid): sign in again.");
    });
  }, [session, projectId]);

  useEffect(() => {
    // A single project needs no picker.
    if (session && route.view === "home" && session.claims.projects.length === 1 && !session.claims.roles.includes("admin")) {
      navigate({ view: "jobs", projectId: session.claims.projects[0]!, filters: {} });
    }
  }, [session, route.view]);

  if (!session) {
    return (
      <main id="main" class="narrow">
        <SignIn notice={notice} onSignedIn={(s) => (setNotice(null), setSession(s))} />
      </main>
    );
  }
  const signOut = () => {
    clearSession();
    setSession(null);
    navigate({ view: "home" });
  };
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
        Skip to content
      </a>
      <Header session={session} projectId={projectId} onSignOut={signOut} />
      <main id="main" tabIndex={-1}>
        {route.view === "home" || !api ? (
          <ProjectPicker claims={session.claims} />
        ) : route.view === "jobs" ? (
          <JobsView key={route.projectId} api={api} claims={session.claims} filters={route.filters} />
        ) : route.view === "batches" ? (
          <BatchesView key={route.projectId} api={api} projectId={route.projectId} />
        ) : route.view === "batch" ? (
          <BatchDetail key={route.batchId} api={api} claims={session.claims} projectId={route.projectId} batchId={route.batchId} />
        ) : route.view === "job" ? (
          <JobDetail key={route.jobId} api={api} claims={session.claims} jobId={route.jobId} />
        ) : (
          <DocumentView key={route.documentId} api={api} documentId={route.documentId} />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
