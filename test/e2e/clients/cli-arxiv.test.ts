/**
 * `edge-ingest arxiv`: a harvest through the CLI against the shared `wrangler dev`, whose
 * arXiv gate talks to the fake arXiv (global-setup.ts). Other files harvest through the
 * same fake at the same time: this one never resets it, asks only for its own generated
 * papers, and its faults match only its own query.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { countersLine, gateLine, itemLine } from "../../../src/cli/arxiv-display";
import { type Batch, EdgeIngest, harvestStats, ranQuery } from "../../../src/client/node";
import { fakeArxivUrl, type E2eServer } from "../dev-server";
import { CLI, clientsServer, runCli } from "./harness";

let server: E2eServer;
let adminToken: string;
const env = (project: string) => ({ EDGE_INGEST_URL: server.url, EDGE_INGEST_TOKEN: adminToken, EDGE_INGEST_PROJECT: project });
const sdk = (projectId: string) => new EdgeIngest({ baseUrl: server.url, token: adminToken, projectId });

beforeAll(async () => {
  ({ server, adminToken } = await clientsServer());
});

/** The harvest id the CLI printed, and its summary's numbers. */
function summaryOf(stdout: string, stderr: string) {
  const id = /^Harvest ([0-9a-f-]{36})$/m.exec(stderr)?.[1];
  const papers = /^ {2}papers: (\d+) fetched, (\d+) created, (\d+) updated, (\d+) unchanged, in (\d+) pages?$/m.exec(stdout);
  const pdfs = /^ {2}pdfs: {3}(\d+) downloaded, (\d+) processed$/m.exec(stdout);
  const items = /^ {2}items: {2}(\d+)\/(\d+) ended: (\d+) completed, (\d+) failed/m.exec(stdout);
  const n = (m: RegExpExecArray | null) => (m ? m.slice(1).map(Number) : null);
  return { id, papers: n(papers), pdfs: n(pdfs), items: n(items), status: /^Harvest \S+ (\w+)$/m.exec(stdout)?.[1] };
}

describe("edge-ingest arxiv", () => {
  it("--help documents the command, its options, progress and exit codes", async () => {
    const top = await runCli(["--help"], {});
    expect(top.stdout).toMatch(/^\s+arxiv \[options\] \[query\]/m);
    const help = await runCli(["arxiv", "--help"], {});
    expect(help.code).toBe(0);
    for (const text of [
      "--id-list <ids>",
      "--max <n>",
      "--no-pdfs",
      "--from <date>",
      "next arXiv request",
      "Exit codes",
      'edge-ingest arxiv "cat:cs.IR AND ti:retrieval" --max 200 -p demo',
    ]) {
      expect(help.stdout).toContain(text);
    }
  });

  it("harvests a query: each paper as its item ends, then a summary whose counts are the server's", async () => {
    // With ids as well (arXiv combines both; the fake serves the ids): a query alone would
    // read the corpus from its first paper, which other files ask for and count.
    const ids = "2501.10130,2501.10131,2501.10132,2501.10133";
    const r = await runCli(["arxiv", "cat:cs.IR AND ti:retrieval", "--id-list", ids, "--max", "4"], env("cli-arxiv"));
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout, r.stderr);
    expect(s.id, r.stderr).toBeTruthy();
    const batch = await sdk("cli-arxiv").batches.get(s.id!);
    const stats = harvestStats(batch);
    expect(batch).toMatchObject({
      kind: "arxiv",
      status: "COMPLETED",
      source: { query: "cat:cs.IR AND ti:retrieval", idList: ids.split(","), maxResults: 4, processPdfs: true },
    });
    expect(s.status).toBe("COMPLETED");
    expect(s.papers).toEqual([stats.papers_fetched, stats.papers_created, stats.papers_updated, stats.papers_unchanged, stats.pages]);
    expect(s.pdfs).toEqual([stats.pdfs_downloaded, stats.pdfs_processed]);
    expect(s.items).toEqual([batch.counts.completed, batch.counts.total, batch.counts.completed, batch.counts.failed]);
    expect(stats).toMatchObject({ papers_fetched: 4, papers_created: 4, pdfs_downloaded: 4, pdfs_processed: 4 });

    // Every paper once, with its title, as its item ended (plain lines: stdout is not a terminal).
    const items = [];
    for await (const item of sdk("cli-arxiv").batches.items(s.id!)) items.push(item);
    const paperLines = r.stdout.split("\n").filter((l) => l.startsWith("COMPLETED "));
    expect(paperLines.sort()).toEqual(items.map(itemLine).sort());
    expect(items.every((i) => i.title && paperLines.some((l) => l.includes(i.title!)))).toBe(true);
    // The counters as they moved, on stderr, ending with the final ones.
    const counterLines = r.stderr.split("\n").filter((l) => l.includes("papers ") && l.includes(" fetched: "));
    expect(counterLines.length).toBeGreaterThan(0);
    expect(counterLines.at(-1)).toContain(`COMPLETED ${countersLine(batch)}`);
    expect(r.stdout + r.stderr).not.toContain("\u001b[");
  });

  it("--no-pdfs records the papers and downloads nothing; --id-list takes old-style ids", async () => {
    const r = await runCli(["arxiv", "--id-list", "2501.10110, hep-ex/0400117", "--no-pdfs", "--json"], env("cli-arxiv-nopdf"));
    expect(r.code, r.stderr).toBe(0);
    const id = /^Harvest ([0-9a-f-]{36})$/m.exec(r.stderr)?.[1];
    const batch = JSON.parse(r.stdout.slice(r.stdout.indexOf("{\n"))) as Batch;
    expect(batch).toMatchObject({ id, status: "COMPLETED", source: { idList: ["2501.10110", "hep-ex/0400117"], processPdfs: false } });
    expect(batch).toEqual(await sdk("cli-arxiv-nopdf").batches.get(id!));
    expect(harvestStats(batch)).toMatchObject({ papers_fetched: 2, papers_created: 2, pdfs_downloaded: 0, pdfs_processed: 0 });
    expect(batch.counts.total).toBe(0);
    expect(r.lines).toEqual([]);
  });

  it("exits 1 with arXiv's own message when arXiv answers with an error feed", async () => {
    const tag = `cli-arxiv-refused-${Date.now()}`;
    const query = `${tag} AND (`;
    const message = `unbalanced parentheses in ${tag}`;
    await fetch(`${fakeArxivUrl()}/__control`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ faults: [{ on: "api", fault: "error", search: tag, message }] }),
    });
    const r = await runCli(["arxiv", query], env("cli-arxiv-refused"));
    expect(r.code, r.stderr).toBe(1);
    expect(summaryOf(r.stdout, r.stderr).status).toBe("FAILED");
    expect(r.stdout).toMatch(new RegExp(`^Error: .*${message.replace(/[()]/g, "\\$&")}`, "m"));
  });

  it.skipIf(!existsSync("/usr/bin/script"))("on a terminal, redraws one status block in place and prints each paper above it", async () => {
    // util-linux `script` runs the CLI on a pseudo-terminal and copies what it shows.
    const command = [process.execPath, CLI, "arxiv", "--id-list", "2501.10140,2501.10141", "-p", "cli-arxiv-tty"].map((a) => `'${a}'`).join(" ");
    const r = spawnSync("script", ["-qfec", `stty cols 120; ${command}`, "/dev/null"], {
      encoding: "utf8",
      env: { ...process.env, ...env("cli-arxiv-tty"), JWT_SECRET: "" },
      timeout: 120_000,
    });
    expect(r.status, r.stdout).toBe(0);
    const screen = r.stdout;
    expect(screen).toContain("\u001b[4A\r\u001b[J"); // the 4-line block moved up and cleared before a redraw
    expect(screen).toMatch(/harvest [0-9a-f-]{36} COMPLETED · 2 ids · /);
    expect(screen).toContain(" papers 2 fetched: 2 created, 0 updated, 0 unchanged | pdfs 2 downloaded, 2 processed | 0 errors");
    expect(screen).toContain(" items 2/2 ended, 0 running, 0 queued");
    for (const id of ["2501.10140v1", "2501.10141v1"]) expect(screen).toContain(`COMPLETED  ${id}  `);
    expect(screen).toMatch(/ {2}items: {2}2\/2 ended: 2 completed, 0 failed/);
  });

  it("refuses a call with neither a query nor ids (exit 2)", async () => {
    const r = await runCli(["arxiv"], env("cli-arxiv"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Give a query");
  });
});

describe("the harvest's progress text", () => {
  it("says how long until the next arXiv request, or how long arXiv asked to pause", () => {
    expect(gateLine({ nextRequestInMs: 2_100, pausedForMs: 0, queued: 3 })).toBe("next arXiv request in 2.1 s (3 requests at the gate)");
    expect(gateLine({ nextRequestInMs: 42_000, pausedForMs: 42_000, queued: 1 })).toBe("arXiv asked us to pause: 42.0 s left (1 request at the gate)");
    expect(gateLine({ nextRequestInMs: 0, pausedForMs: 0, queued: 0 })).toBe("");
    expect(gateLine(null)).toBe("");
  });

  it("shows the query arXiv ran, taken from the feed's title", () => {
    expect(ranQuery({ canonical_query: "arXiv Query: search_query=all:testing&id_list=&start=0&max_results=10" })).toBe("all:testing");
    expect(ranQuery({ canonical_query: "all:testing" })).toBe("all:testing");
    expect(ranQuery({})).toBeNull();
  });
});
