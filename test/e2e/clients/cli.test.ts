/** The `edge-ingest` CLI against a real `wrangler dev`, run as a user runs it. */
import { beforeAll, describe, expect, it } from "vitest";
import { EdgeIngest } from "../../../src/client/node";
import { token, type E2eServer } from "../dev-server";
import { clientsServer, corruptPdf, cuttableProxy, folder, MIXED_UPLOADED, mixedFolder, runCli, startCli } from "./harness";

let server: E2eServer;
let adminToken: string;
const env = (project: string, t = adminToken) => ({ EDGE_INGEST_URL: server.url, EDGE_INGEST_TOKEN: t, EDGE_INGEST_PROJECT: project });
const sdk = (projectId: string) => new EdgeIngest({ baseUrl: server.url, token: adminToken, projectId });
async function allJobs(projectId: string) {
  const jobs = [];
  for await (const j of sdk(projectId).jobs.iterate()) jobs.push(j);
  return jobs;
}

beforeAll(async () => {
  ({ server, adminToken } = await clientsServer());
});

describe("edge-ingest upload", () => {
  it("uploads a folder of mixed files (spaces in names, nested dirs, PDF) and follows every job to COMPLETED", async () => {
    const dir = mixedFolder("a");
    // As the README's quick start writes it: options after the command.
    const r = await runCli(["upload", dir, "-p", "mixed", "--json", "--url", server.url], { EDGE_INGEST_TOKEN: adminToken });
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines).toHaveLength(MIXED_UPLOADED);
    expect(r.lines.map((l) => l.file).sort()).toEqual(
      ["README.md", "meeting notes 2024.txt", "papers/deeper/summary.markdown", "papers/paper one.pdf", "site/index.html"].sort(),
    );
    for (const l of r.lines) expect(l).toMatchObject({ status: "COMPLETED", stage: "DONE", duplicate: false, error: null });
    expect(r.stderr).toMatch(/skipped \.hidden\.md: dotfile/);
    expect(r.stderr).toMatch(/skipped photo\.png: not a type the service reads/);
    expect(r.stderr).toMatch(/5 completed, 0 failed/);
    const jobs = await allJobs("mixed");
    expect(jobs).toHaveLength(MIXED_UPLOADED);
    expect(jobs.find((j) => j.sourcePath === "meeting notes 2024.txt")?.originalFilename).toBe("meeting notes 2024.txt");
  });

  it("uploads nothing when run again: one lookup finds every file, no file byte is sent, and each line names its job and document", async () => {
    const dir = mixedFolder("b");
    expect((await runCli(["upload", dir, "--json"], env("again"))).code).toBe(0);
    const before = await allJobs("again");
    const proxy = await cuttableProxy(server.url);
    try {
      const r = await runCli(["upload", dir, "--json"], { ...env("again"), EDGE_INGEST_URL: proxy.url });
      expect(r.code, r.stderr).toBe(0);
      expect(r.lines).toHaveLength(MIXED_UPLOADED);
      for (const l of r.lines) {
        const job = before.find((j) => j.sourcePath === l.file);
        expect(l).toMatchObject({
          status: "COMPLETED",
          duplicate: true,
          skipped: "already ingested with the same options",
          jobId: job?.id,
          documentId: job?.canonicalDocumentId,
        });
      }
      expect(r.stderr).toMatch(/5 skipped \(already ingested with the same options/);
      expect(proxy.requests.filter((q) => q.startsWith("POST /api/projects/again/ingest/jobs"))).toEqual([]);
      expect(proxy.requests.filter((q) => q === "POST /api/projects/again/ingest/lookup")).toHaveLength(1);
    } finally {
      await proxy.close();
    }
    expect((await allJobs("again")).map((j) => j.id).sort()).toEqual(before.map((j) => j.id).sort());
  });

  it("makes new jobs for the same files with other options, and none when run again with those", async () => {
    const dir = mixedFolder("opts");
    expect((await runCli(["upload", dir, "--json"], env("reingest"))).code).toBe(0);
    const first = await runCli(["upload", dir, "--json", "--chunk-size", "800", "--deep-scan", "--source-id", "crawl-42"], env("reingest"));
    expect(first.code, first.stderr).toBe(0);
    for (const l of first.lines) expect(l).toMatchObject({ status: "COMPLETED", duplicate: false });
    const jobs = await allJobs("reingest");
    expect(jobs).toHaveLength(2 * MIXED_UPLOADED);
    expect(jobs.filter((j) => j.options.chunkSize === 800 && j.isDeepScan && j.sourceId === "crawl-42")).toHaveLength(MIXED_UPLOADED);
    const again = await runCli(["upload", dir, "--json", "--chunk-size", "800", "--deep-scan", "--source-id", "crawl-42"], env("reingest"));
    for (const l of again.lines) expect(l).toMatchObject({ duplicate: true, skipped: "already ingested with the same options" });
    expect(await allJobs("reingest")).toHaveLength(2 * MIXED_UPLOADED);
  });

  it("uploads a text file with no extension (LICENSE) and skips a binary one", async () => {
    const dir = folder({ LICENSE: "MIT License\n\nCopyright (c) 2010 James Halliday\n", blob: new Uint8Array([0x7f, 0x00, 0x01, 0x02, 0x00]) });
    const r = await runCli(["upload", dir, "--json"], env("extensionless"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines.map((l) => [l.file, l.status])).toEqual([["LICENSE", "COMPLETED"]]);
    expect(r.stderr).toMatch(/skipped blob: not a type the service reads/);
    expect((await allJobs("extensionless")).map((j) => j.mimeType)).toEqual(["text/plain"]);
  });

  it("exits 1 and prints the job's message when a PDF is corrupt", async () => {
    const dir = folder({ "good.md": "# fine\n\ntext", "broken.pdf": corruptPdf() });
    const r = await runCli(["upload", dir, "--json"], env("corrupt"));
    expect(r.code).toBe(1);
    const broken = r.lines.find((l) => l.file === "broken.pdf");
    expect(broken).toMatchObject({ status: "FAILED" });
    expect(String(broken?.error)).not.toBe("");
    const job = (await allJobs("corrupt")).find((j) => j.sourcePath === "broken.pdf");
    expect(broken?.error).toBe(job?.errorMessage);
    expect(r.stderr).toContain(`broken.pdf: ${job?.errorMessage}`);
    expect(r.lines.find((l) => l.file === "good.md")).toMatchObject({ status: "COMPLETED" });
  });

  it("shows the server's detail on a 403 and exits non-zero", async () => {
    const outsider = await token({ roles: ["editor"], projects: ["elsewhere"] });
    const dir = folder({ "a.md": "# a" });
    const r = await runCli(["upload", dir, "--json"], env("private", outsider));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('This token does not grant project "private"');
    const viewer = await token({ roles: ["viewer"], projects: ["private"] });
    // A viewer cannot open the upload batch, so nothing is uploaded.
    const refused = await runCli(["upload", dir, "--json"], env("private", viewer));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("Creating jobs needs one of the roles editor, admin; this token has: viewer.");
    expect(refused.lines).toEqual([]);
    const list = await runCli(["jobs", "list"], env("private", outsider));
    expect(list.code).toBe(1);
    expect(list.stderr).toMatch(
      /^error: This token does not grant project "private" \(its projects: "elsewhere"\); use a token that lists it\. \(403 Forbidden, request [\w-]+\)$/m,
    );
  });

  it("stops on Ctrl-C with exit 130, and a second run leaves exactly one job per file", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 24; i++) files[`doc-${String(i).padStart(2, "0")}.md`] = `# Document ${i}\n\n${"Some text. ".repeat(200 + i)}`;
    const dir = folder(files);
    const first = startCli(["upload", dir, "--json", "--concurrency", "2"], env("interrupted"));
    await first.linesAtLeast(3);
    first.child.kill("SIGINT");
    const stopped = await first.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/Interrupted/);
    expect(stopped.lines.length).toBeLessThan(24);
    const second = await runCli(["upload", dir, "--json", "--concurrency", "4"], env("interrupted"));
    expect(second.code, second.stderr).toBe(0);
    expect(second.lines).toHaveLength(24);
    const jobs = await allJobs("interrupted");
    expect(jobs).toHaveLength(24);
    expect(new Set(jobs.map((j) => j.sourcePath)).size).toBe(24);
    expect(jobs.every((j) => j.status === "COMPLETED")).toBe(true);
  });

  it("follows the jobs over one project WebSocket, not a poll loop per job", async () => {
    const proxy = await cuttableProxy(server.url);
    try {
      const dir = folder(Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}.txt`, `file ${i} `.repeat(500)])));
      const r = await runCli(["upload", dir, "--json"], { ...env("one-socket"), EDGE_INGEST_URL: proxy.url });
      expect(r.code, r.stderr).toBe(0);
      expect(r.lines.filter((l) => l.status === "COMPLETED")).toHaveLength(6);
      const upgrades = proxy.requests.filter((q) => q.includes("/ingest/events"));
      expect(upgrades).toEqual(["GET /api/projects/one-socket/ingest/events?access_token=" + upgrades[0]!.split("access_token=")[1]]);
      expect(proxy.requests.filter((q) => q.startsWith("POST /api/projects/one-socket/ingest/jobs?"))).toHaveLength(6);
      // Only a job that stays silent for 10 s is read by GET; none here is.
      expect(proxy.requests.filter((q) => /^GET \/api\/projects\/one-socket\/ingest\/jobs\/[\w-]+$/.test(q)).length).toBeLessThan(6);
    } finally {
      await proxy.close();
    }
  });
});

describe("edge-ingest jobs and docs", () => {
  it("lists, reads, watches, cancels, deletes jobs and reads a document's text and chunks", async () => {
    const dir = folder({ "story.md": `# Story\n\n${"Once upon a time. ".repeat(400)}` });
    const up = await runCli(["upload", dir, "--json", "--chunk-size", "500"], env("verbs"));
    expect(up.code, up.stderr).toBe(0);
    const jobId = String(up.lines[0]?.jobId);

    const list = await runCli(["jobs", "list"], env("verbs"));
    expect(list.stdout).toContain(jobId);
    expect(list.stdout).toMatch(/COMPLETED\s+DONE\s+100%/);
    const got = JSON.parse((await runCli(["jobs", "get", jobId], env("verbs"))).stdout) as { canonicalDocumentId: string; options: { chunkSize: number } };
    expect(got.options.chunkSize).toBe(500);
    const watched = await runCli(["jobs", "watch", jobId, "--json"], env("verbs"));
    expect(watched.code).toBe(0);
    expect(watched.lines[0]).toMatchObject({ type: "job.snapshot", job: { status: "COMPLETED" } });

    const log = await sdk("verbs").jobs.log(jobId);
    const last = log.lastSeq;
    const tail = await runCli(["jobs", "watch", jobId, "--json", "--after", String(last - 1)], env("verbs"));
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.lines.map((l) => l.seq)).toEqual([last]);
    // Past the last event of a finished job: the watch ends at once, with nothing to print.
    const past = await runCli(["jobs", "watch", jobId, "--json", "--after", String(last + 4)], env("verbs"));
    expect(past.code, past.stderr).toBe(0);
    expect(past.lines).toEqual([]);

    const retry = await runCli(["jobs", "retry", jobId], env("verbs"));
    expect(retry.code).toBe(1);
    expect(retry.stderr).toContain("Only a FAILED job can be retried. Current status: COMPLETED");

    const cancel = await runCli(["jobs", "cancel", jobId], env("verbs"));
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toContain("Job cannot be cancelled. Current status: COMPLETED");

    const docId = got.canonicalDocumentId;
    const doc = JSON.parse((await runCli(["docs", "get", docId], env("verbs"))).stdout) as { chunkCount: number; characterCount: number };
    const text = await runCli(["docs", "text", docId], env("verbs"));
    expect(text.stdout).toContain("Once upon a time.");
    expect(text.stdout.length).toBe(doc.characterCount);
    const chunks = await runCli(["docs", "chunks", docId, "--jsonl"], env("verbs"));
    expect(chunks.lines).toHaveLength(doc.chunkCount);
    for (const c of chunks.lines) expect(c.text).toBe(text.stdout.slice(Number(c.charStart), Number(c.charEnd)));

    expect((await runCli(["jobs", "delete", jobId], env("verbs"))).code).toBe(0);
    expect((await runCli(["jobs", "get", jobId], env("verbs"))).stderr).toContain("Ingest job not found");
    expect((await runCli(["docs", "delete", docId], env("verbs"))).code).toBe(0);
    expect((await runCli(["docs", "get", docId], env("verbs"))).stderr).toContain("Document not found");
  });

  it("lists documents with filters, page by page (DESIGN §4 GET /documents)", async () => {
    const dir = folder({ "one.md": "# One\n\nThe first document.", "two.md": "# Two\n\nThe second document, a little longer." });
    expect((await runCli(["upload", dir, "--json"], env("docs-list"))).code).toBe(0);
    const r = await runCli(["docs", "list", "--all", "--json"], env("docs-list"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines.map((d) => d.title).sort()).toEqual(["One", "Two"]);
    const hash = String(r.lines[0]!.contentHash);
    const one = await runCli(["docs", "list", "--content-hash", hash, "--json"], env("docs-list"));
    expect((JSON.parse(one.stdout) as { items: { contentHash: string }[] }).items.map((d) => d.contentHash)).toEqual([hash]);
  });

  it("refuses bad flags with a readable message and no stack trace", async () => {
    const r = await runCli(["upload", ".", "--concurrency", "zero"], env("verbs"));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("--concurrency must be a positive integer");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const noProject = await runCli(["jobs", "list"], { EDGE_INGEST_URL: server.url, EDGE_INGEST_TOKEN: adminToken });
    expect(noProject.code).toBe(2);
    expect(noProject.stderr).toContain("No project");
  });
});
