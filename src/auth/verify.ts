import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { Config } from "../config";
import { principalFromClaims, type Principal } from "./policy";

/** Clock skew accepted on `exp`/`nbf`/`iat` (DESIGN §2). */
const CLOCK_TOLERANCE_SECONDS = 30;
/**
 * Clock skew accepted on `exp` when a token opens a watcher socket. A socket outlives the
 * request, and is closed at `exp`: a token 30 s past it would open a socket only to have
 * it closed at once, or, with the tolerance added, watch for 30 s past its end.
 */
export const UPGRADE_CLOCK_TOLERANCE_MS = 5_000;

/** Whether a verified token may still open a socket at `now`. */
export function canOpenSocket(expiresAt: number, now = Date.now()): boolean {
  return now <= expiresAt + UPGRADE_CLOCK_TOLERANCE_MS;
}

/** Explicit allow-lists (RFC 8725 §3.1): never let the token pick its own algorithm. */
const SECRET_ALGORITHMS = ["HS256"];
const JWKS_ALGORITHMS = ["RS256", "ES256"];

export type VerifyResult = { ok: true; principal: Principal; expiresAt: number } | { ok: false; reason: string };

export type TokenVerifier = (token: string) => Promise<VerifyResult>;

const verifiers = new Map<string, TokenVerifier>();

/** Verified tokens remembered per isolate (until they expire). */
const VERIFIED_CACHE_SIZE = 10_000;

/** One verifier per auth config, kept for the isolate's life (keys imported once). */
export function tokenVerifier(auth: Config["auth"]): TokenVerifier {
  const cacheKey = JSON.stringify(auth);
  let verifier = verifiers.get(cacheKey);
  if (!verifier) {
    verifier = buildVerifier(auth);
    verifiers.set(cacheKey, verifier);
  }
  return verifier;
}

function buildVerifier(auth: Config["auth"]): TokenVerifier {
  const options = {
    algorithms: auth.kind === "secret" ? SECRET_ALGORITHMS : JWKS_ALGORITHMS,
    issuer: auth.issuer,
    audience: auth.audience,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ["exp", "sub"],
  };
  let key: Promise<CryptoKey> | JWTVerifyGetKey;
  if (auth.kind === "secret") {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(auth.secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  } else {
    key = createRemoteJWKSet(new URL(auth.url));
  }
  // Verified tokens, newest last (Map keeps insertion order): a client sends the same
  // token on every request, and an HMAC or signature check per request is wasted work.
  const verified = new Map<string, { principal: Principal; expiresAt: number }>();
  return async (token) => {
    const hit = verified.get(token);
    if (hit && Date.now() <= hit.expiresAt + CLOCK_TOLERANCE_SECONDS * 1000) {
      return { ok: true, principal: hit.principal, expiresAt: hit.expiresAt };
    }
    if (hit) verified.delete(token);
    try {
      const { payload } = typeof key === "function" ? await jwtVerify(token, key, options) : await jwtVerify(token, await key, options);
      const claims = principalFromClaims(payload as Record<string, unknown>);
      if (!claims.ok) return claims;
      const expiresAt = (payload.exp ?? 0) * 1000;
      // A token not yet valid (nbf) is refused by jwtVerify and so never cached.
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
      verified.set(token, { principal: claims.principal, expiresAt });
      return { ok: true, principal: claims.principal, expiresAt };
    } catch (err) {
      if (err instanceof errors.JOSEError) return { ok: false, reason: err.code };
      throw err;
    }
  };
}
