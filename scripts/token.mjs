#!/usr/bin/env node
/**
 * `npm run token -- [--sub dev] [--projects demo] [--roles editor,dispatcher] [--ttl 3600]`
 * prints an HS256 token signed with the JWT_SECRET from `.dev.vars` (or the env): the
 * CLI's own `edge-ingest token` (see `npm run token -- --help`).
 */
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  console.error("The CLI is not built: run `npm install` (or `npm run build:clients`)");
  process.exit(1);
}
process.argv.splice(2, 0, "token");
await import(cli.href);
