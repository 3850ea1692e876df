#!/usr/bin/env node
/**
 * `npm run token -- --sub alice --projects proj_123 --roles editor [--ttl 3600]`
 * prints an HS256 token signed with the JWT_SECRET from `.dev.vars` (or the env).
 * `--projects` and `--roles` take comma-separated lists.
 */
import { readFileSync, existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";

const { values } = parseArgs({
  options: {
    sub: { type: "string", default: "alice" },
    projects: { type: "string", default: "" },
    roles: { type: "string", default: "viewer" },
    ttl: { type: "string", default: "3600" },
    issuer: { type: "string" },
    audience: { type: "string" },
  },
});

function secret() {
  if (process.env.JWT_SECRET) return process.env.JWT_SECRET;
  if (existsSync(".dev.vars")) {
    const line = readFileSync(".dev.vars", "utf8").split("\n").find((l) => l.startsWith("JWT_SECRET="));
    if (line) return line.slice("JWT_SECRET=".length).trim().replace(/^"|"$/g, "");
  }
  console.error("No JWT_SECRET: run `npm run dev` once (it writes .dev.vars) or set JWT_SECRET");
  process.exit(1);
}

const list = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);
let jwt = new SignJWT({ roles: list(values.roles), projects: list(values.projects) })
  .setProtectedHeader({ alg: "HS256", typ: "JWT" })
  .setSubject(values.sub)
  .setIssuedAt()
  .setExpirationTime(Math.floor(Date.now() / 1000) + Number(values.ttl));
if (values.issuer) jwt = jwt.setIssuer(values.issuer);
if (values.audience) jwt = jwt.setAudience(values.audience);
console.log(await jwt.sign(new TextEncoder().encode(secret())));
