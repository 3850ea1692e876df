/**
 * Asked when a `#token=` link would sign this tab in as someone else: a page on another
 * site can open such a link in this tab, so the switch happens only if the user says so.
 */
import type { Session } from "../session";

function who(s: Session): string {
  const projects = s.claims.projects.length ? s.claims.projects.join(", ") : "no projects";
  return `${s.claims.sub || "(no subject)"} (${s.claims.roles.join(", ") || "no roles"}; ${projects})`;
}

export function ConfirmSwitch({ current, incoming, onSwitch, onStay }: { current: Session; incoming: Session; onSwitch(): void; onStay(): void }) {
  return (
    <section class="card signin" role="alertdialog" aria-labelledby="switch-title">
      <h1 id="switch-title">Switch account?</h1>
      <p>
        The link you opened signs in as <strong>{who(incoming)}</strong>. You are signed in as <strong>{who(current)}</strong>.
      </p>
      <p class="muted">Only switch if you asked for this link: a page on another site can open it in this tab.</p>
      <button type="button" onClick={onSwitch}>
        Switch to {incoming.claims.sub || "the link's account"}
      </button>{" "}
      <button type="button" onClick={onStay}>
        Stay signed in as {current.claims.sub || "the current account"}
      </button>
    </section>
  );
}
