/** Sign-in: paste a token (or open the dev URL that `npm run dev` prints). */
import { useState } from "preact/hooks";
import { saveSession, sessionFor, type Session } from "../session";

export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn(s: Session): void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const submit = (e: Event) => {
    e.preventDefault();
    const s = sessionFor(token.trim());
    if ("error" in s) return setError(s.error);
    saveSession(s);
    onSignedIn(s);
  };
  return (
    <section class="card signin">
      <h1>edge-ingest</h1>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <p>
        Sign in with an access token (a JWT). Locally, open the URL that <code>npm run dev</code> prints, or mint one with <code>npm run token</code>.
      </p>
      <form onSubmit={submit}>
        <label for="token">Access token</label>
        <textarea
          id="token"
          rows={4}
          spellcheck={false}
          autocomplete="off"
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-describedby={error ? "token-error" : undefined}
        />
        {error && (
          <p id="token-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={!token.trim()}>
          Sign in
        </button>
      </form>
      <p class="muted">
        The token stays in this tab (sessionStorage). API reference: <a href="/docs">/docs</a>.
      </p>
    </section>
  );
}
