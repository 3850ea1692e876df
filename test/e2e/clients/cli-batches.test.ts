/** The CLI's batches: `upload` opens one and prints its id; `batches get|items|retry|watch|cancel`; `import-urls`. */
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { E2eServer } from "../dev-server";
import { clientsServer, corruptPdf, folder, runCli } from "./harness";

let server: E2eServer;
let adminToken: string;
let source: Server;
let base: string;
const env = (project: string) => ({ EDGE_INGEST_URL: server.url, EDGE_INGEST_TOKEN: adminToken, EDGE_INGEST_PROJECT: project });

beforeAll(async () => {
  ({ server, adminToken } = await clientsServer());
  source = createServer((req, res) => {
    if (req.url === "/one.txt" || req.url === "/two.md") {
      res.writeHead(200, { "Content-Type": req.url.endsWith(".md") ? "text/markdown" : "text/plain" });
      return res.end(`Fetched ${req.url} with enough words to make a document.`);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => source.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(source.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => source?.close(r));
});

describe("edge-ingest upload (a batch)", () => {
  it("opens a batch, prints its id, and prints the server's summary; batches get|items|retry|watch read it back", async () => {
    const dir = folder({ "good.md": "# fine\n\nsome text", "also.txt": "plain words here", "broken.pdf": corruptPdf() });
    const up = await runCli(["upload", dir, "--json"], env("cli-batch"));
    expect(up.code).toBe(1);
    const id = /Batch ([0-9a-f-]{36})/.exec(up.stderr)?.[1];
    expect(id, up.stderr).toBeTruthy();
    expect(up.lines.every((l) => l.batchId === id)).toBe(true);
    expect(up.stderr).toContain(`Batch ${id} COMPLETED 3/3: 2 completed, 1 failed`);
    expect(up.stderr).toMatch(/broken\.pdf: \S/);
    // A corrupt file fails the same way again: no retry is offered.
    expect(up.stderr).not.toContain("batches retry");

    const get = await runCli(["batches", "get", id!], env("cli-batch"));
    expect(get.code).toBe(1);
    expect(get.stdout).toContain(`Batch ${id} COMPLETED 3/3: 2 completed, 1 failed`);
    const items = await runCli(["batches", "items", id!, "--json"], env("cli-batch"));
    expect(items.code).toBe(0);
    expect(items.lines.map((l) => l.status).sort()).toEqual(["COMPLETED", "COMPLETED", "FAILED"]);
    const failedOnly = await runCli(["batches", "items", id!, "--status", "FAILED"], env("cli-batch"));
    expect(failedOnly.stdout).toContain("broken.pdf");
    expect(failedOnly.stdout).not.toContain("good.md");

    const retry = await runCli(["batches", "retry", id!], env("cli-batch"));
    expect(retry.code).toBe(1);
    expect(retry.stderr).toContain("None of the batch's 1 failed items can be mended by a retry");
    const watched = await runCli(["batches", "watch", id!], env("cli-batch"));
    // The batch has ended with a failed item: the watch prints its summary, exit 1.
    expect(watched.code).toBe(1);
    expect(watched.stdout).toContain(`Batch ${id} COMPLETED 3/3: 2 completed, 1 failed`);
    const cancel = await runCli(["batches", "cancel", id!], env("cli-batch"));
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toContain("Batch cannot be cancelled. Current status: COMPLETED");
    const list = await runCli(["batches", "list"], env("cli-batch"));
    expect(list.stdout).toContain(id!);
  });
});

describe("edge-ingest upload of files already ingested", () => {
  it("opens and closes an empty batch that completes with total 0, and says that nothing was ingested", async () => {
    const dir = folder({ "first.md": "# first\n\nwords to ingest once", "second.txt": "more words to ingest once" });
    const first = await runCli(["upload", dir], env("cli-batch-empty"));
    expect(first.code, first.stderr).toBe(0);
    const again = await runCli(["upload", dir], env("cli-batch-empty"));
    expect(again.code, again.stderr).toBe(0);
    const id = /Batch ([0-9a-f-]{36})/.exec(again.stderr)?.[1];
    expect(id, again.stderr).toBeTruthy();
    expect(again.stderr).toContain("0 completed, 0 failed, 0 cancelled, 2 skipped (already ingested");
    expect(again.stderr).toContain(`Batch ${id} COMPLETED 0/0: 0 completed, 0 failed`);
    expect(again.stderr).toContain("The batch holds no items: nothing was ingested in it.");
    const get = await runCli(["batches", "get", id!, "--json"], env("cli-batch-empty"));
    expect(get.code, get.stderr).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ id, status: "COMPLETED", open: false, counts: { total: 0, completed: 0, failed: 0 } });
  });
});

describe("edge-ingest import-urls", () => {
  it("makes a urls batch from a file of URLs and follows it to its end", async () => {
    const file = join(folder({}), "urls.txt");
    writeFileSync(file, `# sources\n${base}/one.txt\n\n${base}/two.md\n${base}/missing.txt\n`);
    const r = await runCli(["import-urls", file], env("cli-urls"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Batch [0-9a-f-]{36}: 3 URLs/);
    expect(r.stdout).toMatch(/COMPLETED 3\/3: 2 completed, 1 failed/);
    expect(r.stdout).toContain(`${base}/missing.txt: The source answered HTTP 404`);
  });
});
