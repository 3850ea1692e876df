/**
 * `urls` batches against a real `wrangler dev` (local-dev switch on) and a plain-HTTP
 * source server on 127.0.0.1: files of each type, a redirect to a private address, a body
 * past MAX_UPLOAD_BYTES, a slow server, an HTML app shell (DESIGN §15).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPdf } from "../fixtures/pdf";
import { sharedServer, token, type E2eServer } from "./dev-server";

const P = "e2e-urls";
/** MAX_UPLOAD_BYTES of the shared server (the default). */
const MAX = 104_857_600;
let server: E2eServer;
let source: Server;
let base: string;
let t: string;
const userAgents: string[] = [];

const FILES: Record<string, { type: string; body: string | Uint8Array }> = {
  "/notes.txt": { type: "text/plain", body: "Plain text fetched from a URL. It has a few sentences of content." },
  "/readme.md": { type: "text/markdown", body: "# A heading\n\nMarkdown fetched from a URL, with a paragraph of words.\n" },
  "/article.html": {
    type: "text/html",
    body: "<html><head><title>T</title></head><body><main><h1>Article</h1><p>HTML fetched from a URL with real words.</p></main></body></html>",
  },
  "/paper.pdf": { type: "application/pdf", body: buildPdf(["A PDF page fetched from a URL"]) },
  "/shell.html": { type: "text/html", body: '<!doctype html><html><head><script src="/app.js"></script></head><body><div id="root"></div></body></html>' },
};

beforeAll(async () => {
  source = createServer((req, res) => {
    userAgents.push(String(req.headers["user-agent"]));
    const file = FILES[req.url ?? ""];
    if (file) {
      res.writeHead(200, { "Content-Type": file.type });
      return res.end(file.body);
    }
    if (req.url === "/to-metadata") {
      res.writeHead(302, { Location: "https://169.254.169.254/latest/meta-data/" });
      return res.end();
    }
    if (req.url === "/hop") {
      res.writeHead(301, { Location: "/notes.txt" });
      return res.end();
    }
    if (req.url === "/huge.txt") {
      // No Content-Length: the size is only found out while streaming.
      res.writeHead(200, { "Content-Type": "text/plain" });
      const chunk = Buffer.alloc(1024 * 1024, "a");
      let sent = 0;
      const push = () => {
        while (sent < MAX + 2 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return res.once("drain", push);
        }
        res.end();
      };
      return push();
    }
    if (req.url === "/slow.txt") {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.write("the first bytes arrive, the rest never does ");
      return; // never ends
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => source.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(source.address() as AddressInfo).port}`;
  server = await sharedServer();
  t = await token({ sub: "e2e", roles: ["admin"], projects: [P] });
});

afterAll(async () => {
  source?.closeAllConnections();
  await new Promise((r) => source?.close(r));
});

async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}/api/projects/${P}${path}`, { ...init, headers: { Authorization: `Bearer ${t}`, "Content-Type": "application/json" } });
  return { status: res.status, body: (await res.json()) as T };
}

interface Batch {
  id: string;
  status: string;
  counts: { total: number; queued: number; running: number; completed: number; failed: number; cancelled: number; skipped: number };
}
interface Item {
  id: string;
  status: string;
  source: string;
  jobId: string | null;
  error: { code: string; message: string } | null;
}

async function waitForBatch(id: string): Promise<Batch> {
  for (let i = 0; i < 600; i++) {
    const { body } = await api<Batch>(`/ingest/batches/${id}`);
    if (["COMPLETED", "FAILED", "CANCELLED"].includes(body.status)) return body;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("batch did not end");
}

/** R2 keys the local bucket holds that contain `fragment` (the local R2 metadata, read-only). */
function r2KeysWith(fragment: string): string[] {
  const dir = join(server.persistTo, "v3", "r2", "miniflare-R2BucketObject");
  const keys: string[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".sqlite") && n !== "metadata.sqlite")) {
    const db = new DatabaseSync(join(dir, f), { readOnly: true });
    try {
      keys.push(
        ...db
          .prepare("SELECT key FROM _mf_objects WHERE key LIKE ?")
          .all(`%${fragment}%`)
          .map((r) => String((r as { key: string }).key)),
      );
    } finally {
      db.close();
    }
  }
  return keys;
}

describe("POST /batches (urls)", () => {
  it("fetches each URL into an item: every type ingested, refusals, cut-offs and timeouts failed with their reason; counts add up", async () => {
    const urls = [
      `${base}/notes.txt`,
      `${base}/readme.md`,
      `${base}/article.html`,
      `${base}/paper.pdf`,
      `${base}/hop`,
      `${base}/to-metadata`,
      `${base}/huge.txt`,
      `${base}/slow.txt`,
      `${base}/shell.html`,
      `${base}/notes.txt`,
    ];
    const created = await api<Batch>("/ingest/batches", { method: "POST", body: JSON.stringify({ kind: "urls", urls }) });
    expect(created.status).toBe(201);
    expect(created.body.counts).toMatchObject({ total: 10, skipped: 1 });
    const done = await waitForBatch(created.body.id);
    const c = done.counts;
    expect(c.total).toBe(c.queued + c.running + c.completed + c.failed + c.cancelled + c.skipped);
    expect(done.status).toBe("COMPLETED");
    const { body } = await api<{ items: Item[] }>(`/ingest/batches/${done.id}/items?limit=100`);
    const by = (path: string) => body.items.find((i) => i.source === `${base}${path}` && i.status !== "SKIPPED")!;
    for (const path of ["/notes.txt", "/readme.md", "/article.html", "/paper.pdf", "/hop"]) expect(by(path).status, path).toBe("COMPLETED");
    expect(by("/to-metadata")).toMatchObject({ status: "FAILED", jobId: null, error: { code: "URL_REFUSED" } });
    expect(by("/huge.txt")).toMatchObject({ status: "FAILED", jobId: null, error: { code: "LIMIT_EXCEEDED" } });
    expect(by("/slow.txt")).toMatchObject({ status: "FAILED", jobId: null, error: { code: "TIMEOUT" } });
    expect(r2KeysWith(by("/huge.txt").id)).toEqual([]);
    expect(r2KeysWith(by("/slow.txt").id)).toEqual([]);
    // The item's job carries the URL as sourcePath and sourceUrl, and its document too.
    const notes = await api<{ sourcePath: string; sourceUrl: string; mimeType: string; batchId: string; canonicalDocumentId: string }>(
      `/ingest/jobs/${by("/notes.txt").jobId}`,
    );
    expect(notes.body).toMatchObject({ sourcePath: `${base}/notes.txt`, sourceUrl: `${base}/notes.txt`, mimeType: "text/plain", batchId: done.id });
    const doc = await api<{ sourceUrl: string }>(`/documents/${notes.body.canonicalDocumentId}`);
    expect(doc.body.sourceUrl).toBe(`${base}/notes.txt`);
    const pdf = await api<{ mimeType: string }>(`/ingest/jobs/${by("/paper.pdf").jobId}`);
    expect(pdf.body.mimeType).toBe("application/pdf");
    expect(userAgents.every((ua) => ua.startsWith("edge-ingest/"))).toBe(true);
    // An HTML app shell yields no text: it fails as an empty document, never passes for a completed one (DESIGN §16).
    expect(by("/shell.html")).toMatchObject({ status: "FAILED", error: { code: "EMPTY_DOCUMENT" } });
  });

  it("returns 400 for a URL the rules refuse, naming it", async () => {
    for (const url of ["ftp://example.com/x", "https://10.0.0.1/a", "http://example.com/a", "https://user:pw@example.com/"]) {
      const res = await api<{ detail: string }>("/ingest/batches", { method: "POST", body: JSON.stringify({ kind: "urls", urls: [url] }) });
      expect(res.status, url).toBe(400);
      expect(res.body.detail).toMatch(/^urls\[0\]/);
    }
  });
});
