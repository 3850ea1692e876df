/** The SDK (`edge-ingest/client`) against a real `wrangler dev`. */
import { spawnSync } from "node:child_process";

import { beforeAll, describe, expect, it } from "vitest";
import { EdgeIngest, EdgeIngestError, type JobFrame, type ProjectFrame } from "../../../src/client/node";
import { token, type E2eServer } from "../dev-server";
import { clientsServer, cuttableProxy, folder } from "./harness";

let server: E2eServer;
let adminToken: string;
const client = (projectId: string, baseUrl = server.url) => new EdgeIngest({ baseUrl, token: adminToken, projectId });
/** Enough text for a job that emits progress frames for a while. */
const bigText = (tag: string, sentences = 30_000) =>
  `# ${tag}\n\n${Array.from({ length: sentences }, (_, i) => `Sentence ${i} of ${tag}, with words.`).join(" ")}`;

beforeAll(async () => {
  ({ server, adminToken } = await clientsServer());
});

describe("edge-ingest/client", () => {
  it("is importable by its package name from a script in the repo", () => {
    const r = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { EdgeIngest } from "edge-ingest/client";
         const c = new EdgeIngest({ baseUrl: ${JSON.stringify(server.url)}, token: "x" });
         console.log(JSON.stringify(await c.health()));`,
      ],
      { encoding: "utf8" },
    );
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ status: "ok" });
  });

  it("opens live streams with the ws package where Node has no global WebSocket (Node 20)", () => {
    const r = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `delete globalThis.WebSocket;
         const { EdgeIngest } = await import("edge-ingest/client");
         const c = new EdgeIngest({ baseUrl: ${JSON.stringify(server.url)}, token: ${JSON.stringify(adminToken)}, projectId: "sdk-node20" });
         const stop = new AbortController();
         for await (const frame of c.projects.events({ signal: stop.signal })) { console.log(frame.type); stop.abort(); break; }`,
      ],
      { encoding: "utf8", timeout: 30_000 },
    );
    expect(r.stderr).toBe("");
    // The snapshot comes only over a socket: without one the stream would have thrown.
    expect(r.stdout.trim()).toBe("project.snapshot");
  });

  it("creates from a Blob, a path and a sized stream, and waits over the WebSocket with progress", async () => {
    const api = client("sdk-create");
    const dir = folder({ "from path.md": bigText("path") });
    const sent: number[] = [];
    const fromPath = await api.jobs.create(`${dir}/from path.md`, { onUploadProgress: (n) => sent.push(n) });
    expect(fromPath).toMatchObject({ originalFilename: "from path.md", mimeType: "text/markdown", status: "QUEUED" });
    expect(sent.at(-1)).toBe(fromPath.byteSize);
    const fromBlob = await api.jobs.create(new Blob(["<p>hi</p>"], { type: "text/html" }), { filename: "b.html", sourceId: "s-1" });
    expect(fromBlob).toMatchObject({ sourceId: "s-1", mimeType: "text/html" });
    const bytes = new TextEncoder().encode("plain text");
    const stream = new Blob([bytes]).stream();
    const fromStream = await api.jobs.create({ stream, size: bytes.byteLength, name: "c.txt" });
    expect(fromStream.mimeType).toBe("text/plain");

    const progress: number[] = [];
    const done = await api.jobs.wait(fromPath.id, { onProgress: (j) => progress.push(j.progress) });
    expect(done.status).toBe("COMPLETED");
    expect(progress.length).toBeGreaterThan(0);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(1);
    expect((await api.jobs.wait(fromBlob.id)).status).toBe("COMPLETED");
    expect((await api.jobs.wait(fromStream.id)).status).toBe("COMPLETED");

    const doc = await api.documents.get(done.canonicalDocumentId!);
    const text = await api.documents.text(doc.id);
    expect(text.length).toBe(doc.characterCount);
    let chunks = 0;
    for await (const c of api.documents.iterateChunks(doc.id, { limit: 7 })) {
      expect(c.ordinal).toBe(chunks++);
      expect(c.text).toBe(text.slice(c.charStart, c.charEnd));
    }
    expect(chunks).toBe(doc.chunkCount);
  });

  it("returns the first job for a repeated idempotency key, and 409 for another file", async () => {
    const api = client("sdk-idem");
    const first = await api.jobs.submit(new Blob(["same"]), { filename: "a.txt", idempotencyKey: "k-1" });
    const again = await api.jobs.submit(new Blob(["same"]), { filename: "a.txt", idempotencyKey: "k-1" });
    expect([first.created, again.created]).toEqual([true, false]);
    expect(again.job.id).toBe(first.job.id);
    await expect(api.jobs.create(new Blob(["other"]), { filename: "a.txt", idempotencyKey: "k-1" })).rejects.toMatchObject({ status: 409 });
  });

  it("throws one EdgeIngestError with status, detail and the X-Request-Id", async () => {
    const err = await client("sdk-err")
      .jobs.get("0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgeIngestError);
    expect(err).toMatchObject({ status: 404, detail: "Ingest job not found", title: "Not Found" });
    expect((err as EdgeIngestError).requestId).toMatch(/^[\w-]{8,}$/);
    const outsider = new EdgeIngest({ baseUrl: server.url, token: await token({ roles: ["viewer"], projects: ["x"] }), projectId: "sdk-err" });
    await expect(outsider.jobs.list()).rejects.toMatchObject({ status: 403, detail: expect.stringMatching(/^This token does not grant project "sdk-err"/) });
  });

  it("jobs.events survives sockets cut mid-stream: every frame once, no gap, no duplicate", async () => {
    const proxy = await cuttableProxy(server.url);
    try {
      const api = client("sdk-events", proxy.url);
      const job = await api.jobs.create(new Blob([bigText("events", 120_000)]), { filename: "events.md", isDeepScan: true });
      const frames: JobFrame[] = [];
      let cuts = 0;
      for await (const f of api.jobs.events(job.id)) {
        frames.push(f);
        // Drop every connection after the snapshot and again a few frames later.
        if ((frames.length === 1 || frames.length === 4) && proxy.cut() > 0) cuts++;
        if (frames.length === 1) expect(f.job.status, "the job must still be running when the socket is cut").not.toBe("COMPLETED");
      }
      expect(cuts).toBeGreaterThanOrEqual(1);
      const upgrades = proxy.requests.filter((r) => r.includes(`/jobs/${job.id}/events`) && r.includes("access_token"));
      expect(upgrades.length).toBeGreaterThanOrEqual(2);
      expect(upgrades.slice(1).every((u) => /[?&]after=\d+/.test(u))).toBe(true);

      const [snapshot, ...events] = frames;
      expect(snapshot?.type).toBe("job.snapshot");
      const seqs = events.map((f) => f.seq);
      const start = snapshot!.seq;
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => start + 1 + i));
      expect(frames.at(-1)).toMatchObject({ type: "job.completed" });
      const log = await client("sdk-events").jobs.log(job.id, { after: start });
      expect(log.items.map((e) => e.seq)).toEqual(seqs);
    } finally {
      await proxy.close();
    }
  });

  it("jobs.events with `after` ends after a finished job's last event, even past it; on a running job it follows to the end", async () => {
    const api = client("sdk-after");
    const small = await api.jobs.create(new Blob(["a short finished job"], { type: "text/plain" }), { filename: "s.txt" });
    await api.jobs.wait(small.id);
    const { lastSeq } = await api.jobs.log(small.id);
    const collect = async (id: string, after: number) => {
      const frames: JobFrame[] = [];
      for await (const f of api.jobs.events(id, { after })) frames.push(f);
      return frames;
    };
    expect((await collect(small.id, lastSeq)).map((f) => f.seq)).toEqual([]);
    expect((await collect(small.id, lastSeq + 4)).map((f) => f.seq)).toEqual([]);
    expect((await collect(small.id, lastSeq - 2)).map((f) => f.seq)).toEqual([lastSeq - 1, lastSeq]);

    const running = await api.jobs.create(new Blob([bigText("after")], { type: "text/markdown" }), { filename: "after.md" });
    const frames = await collect(running.id, 1);
    expect(frames[0]?.seq).toBe(2);
    expect(frames.at(-1)).toMatchObject({ type: "job.completed" });
  });

  it("projects.events replays from projectSeq after a disconnect", async () => {
    const proxy = await cuttableProxy(server.url);
    const stop = new AbortController();
    try {
      const api = client("sdk-project", proxy.url);
      const frames: ProjectFrame[] = [];
      const finished = new Set<string>();
      const ids: string[] = [];
      let cut = false;
      const allFinished = () => ids.length === 3 && ids.every((id) => finished.has(id));
      let socketOpen!: () => void;
      const opened = new Promise<void>((resolve) => (socketOpen = resolve));
      const reading = (async () => {
        for await (const f of api.projects.events({ signal: stop.signal, onOpen: () => socketOpen() })) {
          frames.push(f);
          if (!cut && f.type === "job.progress") cut = proxy.cut() > 0;
          if ("job" in f && ["COMPLETED", "FAILED"].includes(f.job.status)) finished.add(f.jobId);
          if (allFinished()) return;
        }
      })();
      // The stream is open before the first create: every job frame comes after the snapshot.
      await opened;
      // Creates go straight to the server: only the stream passes the proxy that is cut.
      for (const tag of ["p1", "p2", "p3"]) ids.push((await client("sdk-project").jobs.create(new Blob([bigText(tag)]), { filename: `${tag}.md` })).id);
      // On a warm server the last job can finish before its create answers: then its
      // job.completed has already been read and no frame will come to end the loop.
      if (allFinished()) stop.abort();
      const firstFrame = await Promise.race([
        (async () => {
          while (frames.length === 0) await new Promise((r) => setTimeout(r, 50));
          return frames[0];
        })(),
        new Promise((r) => setTimeout(() => r(undefined), 5_000)),
      ]);
      expect((firstFrame as ProjectFrame | undefined)?.type).toBe("project.snapshot");
      const settled = await Promise.race([reading.then(() => true), new Promise((r) => setTimeout(() => r(false), 60_000))]);
      expect(settled).toBe(true);
      expect(cut, "the stream's socket must have been cut mid-stream").toBe(true);
      const upgrades = proxy.requests.filter((r) => r.includes("/projects/sdk-project/ingest/events"));
      expect(upgrades.length).toBeGreaterThanOrEqual(2);
      expect(upgrades.slice(1).every((u) => /[?&]after=\d+/.test(u))).toBe(true);
      const seqs = frames.filter((f) => f.type !== "project.snapshot").map((f) => (f as { projectSeq: number }).projectSeq);
      const start = (frames[0] as { projectSeq: number }).projectSeq;
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => start + 1 + i));
      for (const id of ids) expect(frames.some((f) => "jobId" in f && f.jobId === id && f.type === "job.completed")).toBe(true);
    } finally {
      stop.abort();
      await proxy.close();
    }
  });
});
