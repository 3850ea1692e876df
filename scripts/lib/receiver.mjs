/**
 * A real webhook receiver on 127.0.0.1 for scripts, benchmarks and e2e tests: records
 * every POST (headers, body, the time it arrived) and answers what `answer(request, n)`
 * says: a status code, or "hang" (never answers; the sender's timeout must end it).
 */
import { createServer } from "node:http";

export async function startReceiver({ answer = () => 204 } = {}) {
  const received = [];
  const hanging = new Set();
  let respond = answer;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const entry = { at: Date.now(), method: req.method, path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      const reply = respond(entry, received.length);
      entry.answer = reply;
      received.push(entry);
      if (reply === "hang") {
        hanging.add(res);
        return;
      }
      res.writeHead(reply).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    /** Changes what later requests are answered. */
    setAnswer(fn) {
      respond = fn;
    },
    close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
