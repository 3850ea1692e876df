#!/usr/bin/env node
/**
 * `npm run dev`: starts the service locally on its embedded default — `wrangler dev`
 * with local D1, R2 and Durable Objects under `.wrangler/state`. On first run it writes
 * `.dev.vars` with a random JWT secret; every run builds the dashboard's static assets
 * (`scripts/build-web.mjs`) and applies the D1 migrations to every D1 shard first. Once the
 * server answers, it prints the dashboard's URL with a dev token for the `demo` project in
 * the fragment (`/#token=…`: browsers never send a fragment to the server).
 * Extra arguments go to `wrangler dev` (e.g. `npm run dev -- --port 8788`).
 * `--fake-arxiv` also starts the local fake arXiv (scripts/fake-arxiv.mjs) on a free port
 * and points ARXIV_API_URL / ARXIV_PDF_BASE at it, so a harvest can be tried offline.
 */
import { spawnSync, spawn } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { buildWeb } from "./build-web.mjs";
import { d1Shards } from "./lib/shards.mjs";

const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
const useFakeArxiv = process.argv.includes("--fake-arxiv");
const args = process.argv.slice(2).filter((a) => a !== "--fake-arxiv");

if (!existsSync(".dev.vars")) {
  writeFileSync(".dev.vars", `JWT_SECRET=${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
  console.log("wrote .dev.vars with a new random JWT_SECRET");
}
if (!/^WEBHOOK_SECRET_KEY=/m.test(readFileSync(".dev.vars", "utf8"))) {
  appendFileSync(".dev.vars", `WEBHOOK_SECRET_KEY=${randomBytes(32).toString("base64")}\n`);
  console.log("added a random WEBHOOK_SECRET_KEY to .dev.vars");
}

await buildWeb();

for (const shard of d1Shards()) {
  const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", shard.name, "--local"], { stdio: "inherit", env });
  if (migrate.status !== 0) process.exit(migrate.status ?? 1);
}

// The fake arXiv serves recorded and generated feeds and PDFs on http://127.0.0.1 (docs/arxiv.md).
const fakeArxiv = useFakeArxiv ? await (await import("./fake-arxiv.mjs")).startFakeArxiv() : null;
const arxivVars = fakeArxiv ? ["--var", `ARXIV_API_URL:${fakeArxiv.url}/api/query`, "--var", `ARXIV_PDF_BASE:${fakeArxiv.url}/pdf/`] : [];
if (fakeArxiv) console.log(`fake arXiv on ${fakeArxiv.url} (requests: ${fakeArxiv.url}/__requests)`);

// Local receivers on http://localhost are fine in dev (DESIGN §6); production keeps https only.
const dev = spawn("wrangler", ["dev", "--var", "WEBHOOK_ALLOW_HTTP_LOCALHOST:true", ...arxivVars, ...args], { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", async (code) => {
  await fakeArxiv?.close();
  process.exit(code ?? 0);
});

/** The JWT_SECRET in `.dev.vars` (the same one `npm run token` signs with). */
function devSecret() {
  const line = readFileSync(".dev.vars", "utf8")
    .split("\n")
    .find((l) => l.startsWith("JWT_SECRET="));
  return line?.slice("JWT_SECRET=".length).trim().replace(/^"|"$/g, "") ?? null;
}

/** A 12-hour token for the `demo` project: an editor who can also cancel any job. */
function devToken(secret) {
  return new SignJWT({ roles: ["editor", "dispatcher"], projects: ["demo"] })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject("dev")
    .setIssuedAt()
    .setExpirationTime("12h")
    .sign(new TextEncoder().encode(secret));
}

const { values } = parseArgs({ args, strict: false, options: { port: { type: "string" }, ip: { type: "string" } } });
const host = typeof values.ip === "string" && values.ip !== "0.0.0.0" ? values.ip : "localhost";
const base = `http://${host}:${typeof values.port === "string" ? values.port : "8787"}`;
for (let i = 0; i < 300; i++) {
  try {
    if ((await fetch(`${base}/health`)).ok) {
      const secret = devSecret();
      if (secret) console.log(`\n  Dashboard (signed in to project "demo"): ${base}/#token=${await devToken(secret)}\n  API reference: ${base}/docs\n`);
      // Local dev fires no cron triggers: this one wakes the retention purgers (docs/retention.md),
      // whose own alarms then keep them going, as the 15-minute cron does on Cloudflare.
      await fetch(`${base}/cdn-cgi/local/scheduled`).catch(() => {});
      break;
    }
  } catch {
    // not up yet
  }
  await new Promise((r) => setTimeout(r, 500));
}
