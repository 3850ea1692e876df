/**
 * The least a Worker can do with a watcher socket: a Durable Object that accepts it
 * through the hibernation API, sends one frame, and closes it (1008) at the first frame it
 * receives, as the service's watchers do. `scripts/hostile/frame-flood.mjs` floods it beside
 * the service, so the figures separate what the runtime costs per frame from what the
 * service adds.
 */
import { DurableObject } from "cloudflare:workers";

export class Hub extends DurableObject {
  async fetch() {
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    server.send('{"type":"snapshot"}');
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage(ws) {
    ws.close(1008, "Watchers may only listen");
  }

  async webSocketClose(ws, code, reason) {
    ws.close(code === 1005 ? 1000 : code, reason);
  }
}

export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname === "/health") return new Response("ok");
    return env.HUB.get(env.HUB.idFromName("floor")).fetch(request);
  },
};
