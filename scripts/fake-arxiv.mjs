#!/usr/bin/env node
/**
 * `npm run fake-arxiv [-- --port N]`: a local fake arXiv (scripts/lib/fake-arxiv.mjs) on
 * http://127.0.0.1:<port>, serving the recorded responses, generated feeds and PDFs.
 * Point the service at it with
 *   ARXIV_API_URL=http://127.0.0.1:<port>/api/query ARXIV_PDF_BASE=http://127.0.0.1:<port>/pdf/
 * and WEBHOOK_ALLOW_HTTP_LOCALHOST=true (`npm run dev -- --fake-arxiv` does all of it).
 */
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { createFakeArxiv, DROP } from "./lib/fake-arxiv.mjs";

/** Starts the fake on `port` (0: any free port); resolves with its base URL and a `close()`. */
export function startFakeArxiv({ port = 0, host = "127.0.0.1" } = {}) {
  const fake = createFakeArxiv();
  const server = createServer(async (req, res) => {
    try {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const body = chunks.length && req.method !== "GET" ? Buffer.concat(chunks) : undefined;
      const request = new Request(`http://${host}${req.url}`, { method: req.method, headers: req.headers, body });
      const answer = await fake.handle(request);
      if (answer === DROP) {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, Object.fromEntries(answer.headers));
      if (answer.body) for await (const chunk of answer.body) if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
      res.end();
    } catch (err) {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    }
  });
  return new Promise((resolve) => {
    server.listen(port, host, () => {
      const url = `http://${host}:${server.address().port}`;
      resolve({
        url,
        fake,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { port: { type: "string", default: "8790" } } });
  const { url } = await startFakeArxiv({ port: Number(values.port) });
  console.log(`fake arXiv on ${url}`);
  console.log(`  ARXIV_API_URL=${url}/api/query ARXIV_PDF_BASE=${url}/pdf/ WEBHOOK_ALLOW_HTTP_LOCALHOST=true`);
  console.log(`  requests so far: ${url}/__requests; control: POST ${url}/__control (see scripts/lib/fake-arxiv.mjs)`);
}
