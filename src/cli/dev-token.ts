/**
 * Local development tokens: HS256, signed with the `JWT_SECRET` of `.dev.vars` (written
 * by `npm run dev`) or of the environment. Never for production: there the identity
 * provider issues tokens.
 */
import { existsSync, readFileSync } from "node:fs";
import { SignJWT } from "jose";

export interface DevTokenClaims {
  sub: string;
  projects: string[];
  roles: string[];
  /** Lifetime in seconds. */
  ttl: number;
  issuer?: string;
  audience?: string;
}

/** The default: the `demo` project, with the roles that run every CLI verb except webhooks. */
export const DEFAULT_CLAIMS: DevTokenClaims = { sub: "dev", projects: ["demo"], roles: ["editor", "dispatcher"], ttl: 3600 };
export const ROLES = ["viewer", "editor", "dispatcher", "admin"];

export class DevTokenError extends Error {}

/** `JWT_SECRET` from the environment, else from `.dev.vars` in `dir`. */
export function devSecret(dir = process.cwd()): string | null {
  if (process.env.JWT_SECRET) return process.env.JWT_SECRET;
  const file = `${dir}/.dev.vars`;
  if (!existsSync(file)) return null;
  const line = readFileSync(file, "utf8")
    .split("\n")
    .find((l) => l.startsWith("JWT_SECRET="));
  return line ? line.slice("JWT_SECRET=".length).trim().replace(/^"|"$/g, "") : null;
}

export async function mintDevToken(claims: DevTokenClaims, secret = devSecret()): Promise<string> {
  const unknown = claims.roles.filter((r) => !ROLES.includes(r));
  if (unknown.length) throw new DevTokenError(`Unknown role ${unknown.join(", ")}: choose from ${ROLES.join(", ")}`);
  if (!Number.isInteger(claims.ttl) || claims.ttl <= 0) throw new DevTokenError("--ttl must be a positive number of seconds");
  if (!claims.sub) throw new DevTokenError("--sub must not be empty");
  if (!secret) throw new DevTokenError("No JWT_SECRET: run `npm run dev` once (it writes .dev.vars), or set JWT_SECRET");
  let jwt = new SignJWT({ roles: claims.roles, projects: claims.projects })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + claims.ttl);
  if (claims.issuer) jwt = jwt.setIssuer(claims.issuer);
  if (claims.audience) jwt = jwt.setAudience(claims.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}

export const list = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
