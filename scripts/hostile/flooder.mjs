/**
 * One flooding viewer, run as its own process by `frame-flood.mjs` so that the process
 * timing `/health` is not the one busy sending:
 *
 *   node scripts/hostile/flooder.mjs <ws-url> <frames> <frame-bytes>
 *
 * Sends up to `frames` text frames as fast as the socket drains (at most 1 MiB queued in
 * the client), stops when the server's close frame arrives (as any standard client does),
 * closes itself (1000) when all are sent, and prints one JSON line when the TCP connection
 * ends: frames sent, frames sent when the server's close arrived, and when (ms after open).
 */
import { WebSocket } from "ws";

const [url, framesArg, bytesArg] = process.argv.slice(2);
const frames = Number(framesArg);
const frame = "x".repeat(Number(bytesArg));
const QUEUED_MAX = 1 << 20;
const started = performance.now();
const elapsed = () => Math.round(performance.now() - started);

const ws = new WebSocket(url);
let sent = 0;
let openedAt = null;
let closeFrame = null;
let closedByUs = false;
ws.on("open", () => {
  openedAt = elapsed();
  const burst = () => {
    while (ws.readyState === WebSocket.OPEN && sent < frames && ws.bufferedAmount < QUEUED_MAX) {
      ws.send(frame);
      sent++;
    }
    if (ws.readyState !== WebSocket.OPEN) return;
    if (sent < frames) setImmediate(burst);
    else {
      closedByUs = true;
      ws.close(1000);
    }
  };
  burst();
});
// `ws` moves to CLOSING when the server's close frame arrives ('close' waits for the TCP end).
const watch = setInterval(() => {
  if (closeFrame === null && !closedByUs && ws.readyState === WebSocket.CLOSING) closeFrame = { sent, ms: elapsed() - openedAt };
}, 1);
ws.on("close", (code) => {
  clearInterval(watch);
  console.log(JSON.stringify({ code, sent, closeFrame, endedMs: elapsed() - (openedAt ?? 0) }));
  process.exit(0);
});
ws.on("error", (err) => {
  console.log(JSON.stringify({ error: err.message, sent }));
  process.exit(1);
});
