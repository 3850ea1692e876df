/**
 * What every command shares: the global options (flag, else environment, else default),
 * the SDK client built from them, and the one way a failure is reported.
 */
import { InvalidArgumentError, type Command } from "commander";
import { EdgeIngest, EdgeIngestError, type RetryNotice } from "../client/node";
import { devSecret, DevTokenError, mintDevToken } from "./dev-token";

export interface GlobalOptions {
  url: string;
  token?: string;
  project?: string;
}

export const DEFAULT_URL = "http://localhost:8787";

/** The options of the root command, with the environment's fallbacks. */
export function globals(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals<{ url?: string; token?: string; project?: string }>();
  return {
    url: checkedUrl(o.url ?? process.env.EDGE_INGEST_URL ?? DEFAULT_URL),
    token: o.token ?? process.env.EDGE_INGEST_TOKEN,
    project: o.project ?? process.env.EDGE_INGEST_PROJECT,
  };
}

/** The API's URL, refused at once when it is not an http(s) URL (`localhost:8880`, `htp://…`). */
export function checkedUrl(url: string): string {
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:") || !parsed.host) {
    const guess = /^[\w.-]+(:\d+)?(\/|$)/.test(url) ? ` (did you mean http://${url}?)` : "";
    throw new UsageError(`--url ${JSON.stringify(url)} is not an http:// or https:// URL${guess}`);
  }
  return url;
}

export function requireProject(g: GlobalOptions): string {
  if (!g.project) throw new UsageError("No project: pass -p <project> or set EDGE_INGEST_PROJECT");
  return g.project;
}

const isLocal = (url: string) => /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(\/|$)/.test(url);

/**
 * The bearer token: `--token`/`EDGE_INGEST_TOKEN`; against a local server with no token
 * given, a short-lived dev token for the project, signed with `.dev.vars`' secret.
 */
async function bearer(g: GlobalOptions): Promise<string> {
  if (g.token) return g.token;
  if (isLocal(g.url) && devSecret()) {
    return mintDevToken({ sub: "cli", projects: g.project ? [g.project] : [], roles: ["editor", "dispatcher"], ttl: 12 * 3600 });
  }
  throw new UsageError("No token: pass --token or set EDGE_INGEST_TOKEN (for a local server, `npx edge-ingest token`)");
}

/** The SDK client; every wait-and-retry is shown on stderr unless the command shows it itself. */
export async function client(g: GlobalOptions, onRetry: (n: RetryNotice) => void = printRetry): Promise<EdgeIngest> {
  return new EdgeIngest({ baseUrl: g.url, token: await bearer(g), projectId: g.project, onRetry });
}

/** "retry 2 in 0.5 s: nothing answers at …" on stderr. */
export function printRetry(n: RetryNotice): void {
  process.stderr.write(`${n.detail}; retry ${n.attempt} in ${(n.delayMs / 1000).toFixed(1)} s\n`);
}

/** A mistake in how the command was called: its message and exit 2. */
export class UsageError extends Error {}

/** Prints a failure as one readable line (a problem's `detail`, never a stack) and exits. */
export function fail(err: unknown): never {
  if (err instanceof EdgeIngestError) {
    const where = err.status ? `${err.status} ${err.title}`.trim() : "network";
    process.stderr.write(`error: ${err.detail} (${where}${err.requestId ? `, request ${err.requestId}` : ""})\n`);
    process.exit(1);
  }
  if (err instanceof UsageError || err instanceof DevTokenError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

/** Wraps a command's action so every failure goes through `fail`. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      fail(err);
    }
  };
}

/** A positive integer option. */
export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer.`);
    return n;
  };
}
export function nonNegativeInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer.`);
    return n;
  };
}
