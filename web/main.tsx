/**
 * The dashboard's shell: who is signed in, which view the URL names, and the header.
 * Views get an `Api` bound to the token and the project in the URL.
 */
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { Api } from "./api";
import { isAdmin } from "./auth";
import { formatRoute, parseRoute, type Route } from "./route";
import { clearSession, restoreSession, saveSession, type Session } from "./session";
import { BatchDetail, BatchesView } from "./views/BatchesView";
import { ConfirmSwitch } from "./views/ConfirmSwitch";
import { DocumentView } from "./views/DocumentView";
import { DocumentsView } from "./views/DocumentsView";
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
  const [restored] = useState(restoreSession);
  const [session, setSession] = useState<Session | null>(restored.session);
  const [pendingSwitch, setPendingSwitch] = useState<Session | null>(restored.pendingSwitch);
  const [notice, setNotice] = useState<string | null>(restored.error);
  const route = useRoute();
  const projectId = route.view === "home" || route.view === "notFound" ? null : route.projectId;
  const api = useMemo(() => {
    if (!session || !projectId) return null;
    return new Api(session.token, projectId, () => {
      clearSession();
      setSession(null);
      setNotice("The server refused the token (expired or invalid): sign in again.");
    });
  }, [session, projectId]);

  useEffect(() => {
    // A single project needs no picker (not while another account's link waits for an answer).
    if (session && !pendingSwitch && route.view === "home" && session.claims.projects.length === 1 && !session.claims.roles.includes("admin")) {
      navigate({ view: "jobs", projectId: session.claims.projects[0]!, filters: {} });
    }
  }, [session, pendingSwitch, route.view]);

  const switchAccount = (incoming: Session) => {
    saveSession(incoming);
    setSession(incoming);
    setPendingSwitch(null);
    // The page open before the switch may be another account's project: start from home.
    const reaches = incoming.claims.roles.includes("admin") || (projectId !== null && incoming.claims.projects.includes(projectId));
    if (!reaches) navigate({ view: "home" });
  };

  if (session && pendingSwitch) {
    return (
      <main id="main" class="narrow">
        <ConfirmSwitch current={session} incoming={pendingSwitch} onSwitch={() => switchAccount(pendingSwitch)} onStay={() => setPendingSwitch(null)} />
      </main>
    );
  }
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
        {route.view === "notFound" ? (
          <section class="card">
            <h1>Not found</h1>
            <p>
              This address names no page of the dashboard. <a href="#/">Go to your projects</a>.
            </p>
          </section>
        ) : projectId && !isAdmin(session.claims) && !session.claims.projects.includes(projectId) ? (
          <ProjectPicker claims={session.claims} refused={projectId} />
        ) : route.view === "home" || !api ? (
          <ProjectPicker claims={session.claims} />
        ) : route.view === "jobs" ? (
          <JobsView key={route.projectId} api={api} claims={session.claims} filters={route.filters} />
        ) : route.view === "batches" ? (
          <BatchesView key={route.projectId} api={api} projectId={route.projectId} />
        ) : route.view === "batch" ? (
          <BatchDetail key={route.batchId} api={api} claims={session.claims} projectId={route.projectId} batchId={route.batchId} />
        ) : route.view === "job" ? (
          <JobDetail key={route.jobId} api={api} claims={session.claims} jobId={route.jobId} />
        ) : route.view === "documents" ? (
          <DocumentsView key={route.projectId} api={api} filters={route.filters} />
        ) : (
          <DocumentView key={route.documentId} api={api} documentId={route.documentId} />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
