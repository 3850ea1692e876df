/**
 * Sign-in, pure parts: the dev token in the URL fragment, the token's claims (decoded,
 * not verified: the server verifies every request), and what its roles allow (DESIGN §2).
 */
import type { Job } from "../src/client/types";

export type Role = "viewer" | "editor" | "dispatcher" | "admin";

export interface Claims {
  sub: string;
  roles: Role[];
  projects: string[];
  /** Seconds since the epoch, when present. */
  exp?: number;
}

/** The token in a `#token=…` fragment, or null. */
export function tokenFromFragment(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const t = params.get("token");
  return t && t.trim() ? t.trim() : null;
}

/**
 * Whether a token from a `#token=` link may replace the stored session without asking:
 * only when it names the same user and the same projects (a fresh token for the same
 * sign-in). Anything else could be a link made by someone else to sign this tab into
 * their account (login CSRF): the user is asked first.
 */
export function fragmentSignIn(stored: Claims | null, incoming: Claims): "adopt" | "ask" {
  if (!stored) return "adopt";
  const same = (a: string[], b: string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
  return stored.sub === incoming.sub && same(stored.projects, incoming.projects) && same(stored.roles, incoming.roles) ? "adopt" : "ask";
}

function base64UrlDecode(s: string): string {
  const b64 = s
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(s.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The token's payload, or null when it is not a JWT. */
export function decodeClaims(token: string): Claims | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const raw = JSON.parse(base64UrlDecode(part)) as Record<string, unknown>;
    const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
    return {
      sub: typeof raw.sub === "string" ? raw.sub : "",
      roles: list(raw.roles) as Role[],
      projects: list(raw.projects),
      exp: typeof raw.exp === "number" ? raw.exp : undefined,
    };
  } catch {
    return null;
  }
}

export function isExpired(claims: Claims, nowMs = Date.now()): boolean {
  return claims.exp !== undefined && claims.exp * 1000 <= nowMs;
}

const has = (c: Claims, ...roles: Role[]) => roles.some((r) => c.roles.includes(r));

export const isAdmin = (c: Claims) => has(c, "admin");
export const canUpload = (c: Claims) => has(c, "editor", "admin");
/** Cancel: dispatcher and admin any job; editor only the jobs they created. */
export const canCancel = (c: Claims, job: Pick<Job, "createdBy">) => has(c, "dispatcher", "admin") || (has(c, "editor") && job.createdBy === c.sub);
export const canDelete = (c: Claims) => has(c, "editor", "dispatcher", "admin");
/** Retrying a batch re-runs its failed jobs: the rule of a job's retry, as for a cancel. */
export const canRetry = canCancel;
