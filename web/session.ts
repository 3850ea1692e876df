/**
 * The signed-in session: the token lives in sessionStorage (this tab only, gone when it
 * closes). A `#token=…` fragment is read once and removed from the address bar at once,
 * so it is neither sent to the server (fragments never are) nor left in history.
 */
import { decodeClaims, isExpired, tokenFromFragment, type Claims } from "./auth";

const KEY = "edge-ingest.token";

export interface Session {
  token: string;
  claims: Claims;
}

export function sessionFor(token: string): Session | { error: string } {
  const claims = decodeClaims(token);
  if (!claims) return { error: "That is not a JWT (three base64url parts separated by dots)." };
  if (isExpired(claims)) return { error: "That token has expired." };
  return { token, claims };
}

/** The session from the URL fragment (then stripped) or from sessionStorage. */
export function restoreSession(): Session | null {
  const fromFragment = tokenFromFragment(location.hash);
  if (fromFragment) {
    history.replaceState(null, "", `${location.pathname}${location.search}#/`);
    const s = sessionFor(fromFragment);
    if ("token" in s) {
      saveSession(s);
      return s;
    }
  }
  const stored = sessionStorage.getItem(KEY);
  if (!stored) return null;
  const s = sessionFor(stored);
  if ("token" in s) return s;
  sessionStorage.removeItem(KEY);
  return null;
}

export function saveSession(s: Session): void {
  sessionStorage.setItem(KEY, s.token);
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}
