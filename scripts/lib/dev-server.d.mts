/** Types of `dev-server.mjs`, shared by the benchmarks, scripts and the e2e tests. */
import type { ChildProcess } from "node:child_process";

export const SECRET: string;
export const WEBHOOK_SECRET_KEY: string;

export interface DevServer {
  url: string;
  child: ChildProcess;
  workerdPids(): number[];
  stop(): Promise<void>;
  /** SIGKILLs workerd and the wrangler process group and waits until they are gone; the pids killed. */
  kill(): Promise<number[]>;
}

export function applyMigrations(persistTo: string, shards?: { name: string }[]): Promise<void>;
export function startDev(opts: {
  port: number;
  persistTo: string;
  vars?: Record<string, string>;
  log?: boolean;
  inspectorPort?: number | null;
  /** Called with every stdout line of wrangler dev (the Worker's console.log lines). */
  onLine?: ((line: string) => void) | null;
  /** Another wrangler.toml than the service's (one without D1: no migrations). */
  config?: string | null;
  /** false: `persistTo` already holds migrated D1 shards. */
  migrate?: boolean;
}): Promise<DevServer>;
export function rssBytes(pid: number): number;
export function token(opts?: { sub?: string; roles?: string[]; projects?: string[]; ttl?: number }): Promise<string>;
export function waitForJob(url: string, t: string, projectId: string, jobId: string, timeoutMs?: number): Promise<Record<string, unknown> & { status: string }>;
export function upload(
  url: string,
  t: string,
  projectId: string,
  bytes: Uint8Array | string,
  opts: { filename: string; type: string; query?: Record<string, string> },
): Promise<Record<string, unknown> & { id: string }>;
export function freePort(): Promise<number>;
export function reservePort(): Promise<{ port: number; release(): Promise<void> }>;
