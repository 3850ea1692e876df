/**
 * What the CLI and SDK tests share: running the CLI as a user would (the global setup
 * builds `dist/` from the current sources first), folders of mixed files, and a TCP proxy
 * the test can cut to drop every WebSocket at once.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildCorruptPdf, buildPdf } from "../../fixtures/pdf";
import { sharedServer, token, type E2eServer } from "../dev-server";

const ROOT = new URL("../../../", import.meta.url).pathname;
export const CLI = join(ROOT, "dist/cli.js");

/** The shared server, once it answers, and an admin token for it. */
export async function clientsServer(): Promise<{ server: E2eServer; adminToken: string }> {
  return { server: await sharedServer(), adminToken: await token({ roles: ["admin"] }) };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout's JSON lines, parsed. */
  lines: Record<string, unknown>[];
}

export interface CliRun {
  child: ChildProcess;
  /** Resolves when the process exits. */
  done: Promise<CliResult>;
  /** Resolves when stdout has printed `n` lines. */
  linesAtLeast(n: number): Promise<void>;
}

/** Starts `edge-ingest <args>` with the given environment (stdout is a pipe: no bars). */
export function startCli(args: string[], env: Record<string, string>, cwd = ROOT): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, EDGE_INGEST_URL: "", EDGE_INGEST_TOKEN: "", EDGE_INGEST_PROJECT: "", JWT_SECRET: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: { n: number; resolve: () => void }[] = [];
  child.stdout!.on("data", (d: Buffer) => {
    stdout += d.toString();
    const count = stdout.split("\n").length - 1;
    for (const w of waiters.filter((w) => count >= w.n)) w.resolve();
  });
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) =>
    child.on("close", (code) => {
      const lines = stdout.split("\n").flatMap((l) => {
        try {
          return l.startsWith("{") ? [JSON.parse(l) as Record<string, unknown>] : [];
        } catch {
          return []; // pretty-printed JSON, not a JSON line
        }
      });
      resolve({ code, stdout, stderr, lines });
    }),
  );
  return {
    child,
    done,
    linesAtLeast: (n) => new Promise<void>((resolve) => waiters.push({ n, resolve })),
  };
}

export function runCli(args: string[], env: Record<string, string>, cwd?: string): Promise<CliResult> {
  return startCli(args, env, cwd).done;
}

/** Writes `files` (relative path → content) under a fresh temporary directory. */
export function folder(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), "edge-ingest-upload-"));
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

/** A folder of the kinds of files people upload, plus two the CLI must skip. */
export function mixedFolder(tag = ""): string {
  return folder({
    "README.md": `# Project notes ${tag}\n\nSome *markdown* with a [link](https://example.com).\n`,
    "meeting notes 2024.txt": `Minutes of the meeting ${tag}.\nAttendees: Ada, Grace.\n`,
    "site/index.html": `<!doctype html><html><head><title>Home ${tag}</title></head><body><h1>Welcome</h1><p>Hello &amp; goodbye.</p></body></html>`,
    "papers/paper one.pdf": buildPdf([`A paper ${tag}`, "Its second page"]),
    "papers/deeper/summary.markdown": `## Summary ${tag}\n\n- one\n- two\n`,
    ".hidden.md": "not uploaded",
    "photo.png": new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]),
  });
}
export const MIXED_UPLOADED = 5;

export const corruptPdf = buildCorruptPdf;

/** A TCP proxy in front of the server; `cut()` drops every open connection. */
export async function cuttableProxy(target: string): Promise<{ url: string; requests: string[]; cut(): number; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  /** "METHOD /path" of every HTTP request that went through (bodies are small text here). */
  const requests: string[] = [];
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    client.on("data", (d: Buffer) => {
      for (const m of d.toString("latin1").matchAll(/(GET|POST|DELETE|PATCH) (\/\S*) HTTP\/1\.1\r\n/g)) requests.push(`${m[1]} ${m[2]}`);
    });
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop);
    upstream.on("error", drop);
    client.on("close", drop);
    upstream.on("close", drop);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const proxyPort = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    requests,
    cut() {
      const n = sockets.size;
      for (const s of sockets) s.destroy();
      sockets.clear();
      return n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
