#!/usr/bin/env node
/**
 * `npm run dev`: starts the service locally on its embedded default — `wrangler dev`
 * with local D1, R2 and Durable Objects under `.wrangler/state`. On first run it writes
 * `.dev.vars` with a random JWT secret; every run applies the D1 migrations to every D1
 * shard first.
 * Extra arguments go to `wrangler dev` (e.g. `npm run dev -- --port 8788`).
 */
import { spawnSync, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { d1Shards } from "./lib/shards.mjs";

const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };

if (!existsSync(".dev.vars")) {
  writeFileSync(".dev.vars", `JWT_SECRET=${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
  console.log("wrote .dev.vars with a new random JWT_SECRET");
}

for (const shard of d1Shards()) {
  const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", shard.name, "--local"], { stdio: "inherit", env });
  if (migrate.status !== 0) process.exit(migrate.status ?? 1);
}

const dev = spawn("wrangler", ["dev", ...process.argv.slice(2)], { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
