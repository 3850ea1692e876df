/** The projects the token names; an admin can also type any project id. */
import { useState } from "preact/hooks";
import { isAdmin, type Claims } from "../auth";
import { formatRoute } from "../route";

export function ProjectPicker({ claims }: { claims: Claims }) {
  const [typed, setTyped] = useState("");
  return (
    <section class="card narrow">
      <h1>Projects</h1>
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
