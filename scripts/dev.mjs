#!/usr/bin/env node
/**
 * `npm run dev`: starts the service locally on its embedded default — `wrangler dev`
 * with local D1, R2 and Durable Objects under `.wrangler/state`. On first run it writes
 * `.dev.vars` with a random JWT secret; every run applies the D1 migrations first.
 * Extra arguments go to `wrangler dev` (e.g. `npm run dev -- --port 8788`).
 */
import { spawnSync, spawn } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";

const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };

if (!existsSync(".dev.vars")) {
  writeFileSync(".dev.vars", `JWT_SECRET=${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
  console.log("wrote .dev.vars with a new random JWT_SECRET");
}
if (!/^WEBHOOK_SECRET_KEY=/m.test(readFileSync(".dev.vars", "utf8"))) {
  appendFileSync(".dev.vars", `WEBHOOK_SECRET_KEY=${randomBytes(32).toString("base64")}\n`);
  console.log("added a random WEBHOOK_SECRET_KEY to .dev.vars");
}

const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local"], { stdio: "inherit", env });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

// Local receivers on http://localhost are fine in dev (DESIGN §6); production keeps https only.
const dev = spawn("wrangler", ["dev", "--var", "WEBHOOK_ALLOW_HTTP_LOCALHOST:true", ...process.argv.slice(2)], { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
