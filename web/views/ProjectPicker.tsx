/**
 * The projects the token names; an admin can also type any project id. Given the project
 * a URL asked for and the token does not name, it says so first.
 */
import { useState } from "preact/hooks";
import { isAdmin, type Claims } from "../auth";
import { formatRoute } from "../route";

export function ProjectPicker({ claims, refused }: { claims: Claims; refused?: string }) {
  const [typed, setTyped] = useState("");
  return (
    <section class="card narrow">
      <h1>Projects</h1>
      {refused !== undefined && (
        <p class="error no-access" role="alert">
          This token does not give access to project <strong>{refused}</strong>. It gives access to{" "}
          {claims.projects.length ? claims.projects.map((p, i) => [i ? ", " : "", <strong key={p}>{p}</strong>]) : "no project"}. Open one of them below, or
          sign in with a token for {refused} (<code>npm run token -- --projects {refused}</code>).
        </p>
      )}
      {claims.projects.length > 0 ? (
        <ul class="projects">
          {claims.projects.map((p) => (
            <li key={p}>
              <a href={formatRoute({ view: "jobs", projectId: p, filters: {} })}>{p}</a>
            </li>
          ))}
        </ul>
      ) : (
        !isAdmin(claims) && <p>This token names no project.</p>
      )}
      {isAdmin(claims) && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (typed.trim()) location.hash = formatRoute({ view: "jobs", projectId: typed.trim(), filters: {} });
          }}
        >
          <label for="project-id">Project id (admin: any project)</label>
          <div class="row">
            <input id="project-id" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} autocomplete="off" />
            <button type="submit" disabled={!typed.trim()}>
              Open
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
