/**
 * The signed-in session: the token lives in sessionStorage (this tab only, gone when it
 * closes). A `#token=…` fragment is read once and removed from the address bar at once,
 * so it is neither sent to the server (fragments never are) nor left in history.
 */
import { decodeClaims, fragmentSignIn, isExpired, tokenFromFragment, type Claims } from "./auth";

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

/**
 * The session from sessionStorage, and a `#token=` fragment's (then stripped): adopted
 * at once when there is no stored session or it is the same sign-in, else offered as
 * `pendingSwitch` for the user to accept or refuse.
 */
export function restoreSession(): { session: Session | null; pendingSwitch: Session | null } {
  const stored = storedSession();
  const fromFragment = tokenFromFragment(location.hash);
  if (!fromFragment) return { session: stored, pendingSwitch: null };
  history.replaceState(null, "", `${location.pathname}${location.search}#/`);
  const s = sessionFor(fromFragment);
  if (!("token" in s) || s.token === stored?.token) return { session: stored, pendingSwitch: null };
  if (fragmentSignIn(stored?.claims ?? null, s.claims) === "ask") return { session: stored, pendingSwitch: s };
  saveSession(s);
  return { session: s, pendingSwitch: null };
}

function storedSession(): Session | null {
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
