/**
 * What the CLI says when it is pointed at the wrong place: no server is needed, each case
 * must be answered at once with a line that says what to do.
 */
import { spawn } from "node:child_process";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, runCli } from "./harness";

/** A port that accepts TCP and answers plain HTTP, as `wrangler dev` does. */
let plain: Server;
let plainPort = 0;
/** A port nothing listens on (bound, then closed). */
let deadPort = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  plain = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    s.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  });
  await new Promise<void>((r) => plain.listen(0, "127.0.0.1", r));
  plainPort = (plain.address() as { port: number }).port;
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  deadPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => plain.close(() => r()));
});

const T = { EDGE_INGEST_TOKEN: "x.y.z", EDGE_INGEST_PROJECT: "demo" };

describe("edge-ingest with a bad --url", () => {
  it("refuses a URL without a scheme at once, and suggests one", async () => {
    const r = await runCli(["jobs", "list", "--url", "localhost:8880"], T);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --url "localhost:8880" is not an http:// or https:// URL (did you mean http://localhost:8880?)\n');
  });

  it("refuses a misspelt scheme at once", async () => {
    const r = await runCli(["jobs", "list", "--url", "htp://localhost:8787"], T);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --url "htp:\/\/localhost:8787" is not an http:\/\/ or https:\/\/ URL\n$/);
  });

  it("says nothing answers, and how to start the service, from the first failed try", async () => {
    const run = spawn(process.execPath, [CLI, "jobs", "list", "--url", `http://127.0.0.1:${deadPort}`], {
      env: { ...process.env, ...T },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const first = await new Promise<string>((resolve) => {
      let err = "";
      run.stderr!.on("data", (d: Buffer) => {
        err += d.toString();
        if (err.includes("\n")) resolve(err.split("\n")[0]!);
      });
    });
    run.kill();
    expect(first).toMatch(
      new RegExp(
        `^Nothing answers at http://127\\.0\\.0\\.1:${deadPort}: is the service running \\(locally: \`npm run dev\`\\)\\? .*; retry 1 in \\d\\.\\d s$`,
      ),
    );
  });

  it("says https:// met a plain-HTTP port instead of printing TLS internals", async () => {
    const run = spawn(process.execPath, [CLI, "jobs", "list", "--url", `https://127.0.0.1:${plainPort}`], {
      env: { ...process.env, ...T },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const first = await new Promise<string>((resolve) => {
      let err = "";
      run.stderr!.on("data", (d: Buffer) => {
        err += d.toString();
        if (err.includes("\n")) resolve(err.split("\n")[0]!);
      });
    });
    run.kill();
    expect(first).toMatch(
      new RegExp(`^https://127\\.0\\.0\\.1:${plainPort} did not answer TLS: is it a plain-HTTP port\\? Try http://127\\.0\\.0\\.1:${plainPort} `),
    );
  });
});

describe("edge-ingest piped into a reader that closes early", () => {
  it("exits quietly on EPIPE, as under `| head -1`", async () => {
    // A server that pages jobs forever: the CLI keeps writing lines after the reader left.
    const job = { id: "0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11", projectId: "demo", status: "COMPLETED", stage: "INDEXING", filename: "a.md" };
    const api = createHttpServer((_req, res) => {
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ items: Array.from({ length: 100 }, () => job), total: 1e9, nextCursor: "more" }));
    });
    await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, "jobs", "list", "--all", "--json", "--url", url], {
        env: { ...process.env, ...T },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout!.once("data", () => child.stdout!.destroy()); // `head -1`: one read, then gone
      let stderr = "";
      child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (code) => resolve({ code, stderr }));
    });
    await new Promise<void>((done) => api.close(() => done()));
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(r.code).toBe(0);
  });
});
