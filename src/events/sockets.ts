/**
 * Hibernatable WebSocket watchers, shared by the job object and the project hub.
 * Connection state lives in the socket attachment, so it survives hibernation.
 */

/** What each socket carries across hibernation. */
export interface WatcherAttachment {
  /** Epoch ms at which the watcher's token expires; the socket is closed then. */
  expiresAt: number;
}

/** RFC 6455 §7.4.2: 4000–4999 are ours. 4001: the bearer token expired. */
export const CLOSE_TOKEN_EXPIRED = 4001;
/** Sent when the watched job is deleted (1000: normal closure, nothing more will come). */
export const CLOSE_NORMAL = 1000;
/** RFC 6455 §7.4.1: 1008, policy violation: the watcher sent something other than "ping". */
export const CLOSE_POLICY_VIOLATION = 1008;
/** The only frame a watcher may send: a keep-alive the runtime answers with "pong". */
export const PING = "ping";

/**
 * Longest a watcher socket stays open, whatever its token's `exp` says (a token may be
 * valid for years, or claim the year 9999). At the end it is closed with 4001, like an
 * expired token, and the client reconnects with a fresh token.
 */
export const MAX_WATCHER_LIFETIME_MS = 24 * 3_600_000;
/** Lifetime of a watcher whose token carries no usable expiry. */
const DEFAULT_WATCHER_LIFETIME_MS = 3_600_000;

/** When a watcher connected at `now` with a token expiring at `tokenExpiresAt` is closed. */
export function watcherExpiry(tokenExpiresAt: number, now: number): number {
  if (!Number.isFinite(tokenExpiresAt) || tokenExpiresAt <= 0) return now + DEFAULT_WATCHER_LIFETIME_MS;
  return Math.min(tokenExpiresAt, now + MAX_WATCHER_LIFETIME_MS);
}

/** Header the Worker uses to pass the verified token's expiry to the object. */
export const EXPIRES_HEADER = "X-Token-Expires-At";
/** Header the Worker uses to pass the verified caller (an `Access`) to the job's object. */
export const ACCESS_HEADER = "X-Watch-Access";

/**
 * Accepts an upgrade through the hibernation API and returns the 101 response plus the
 * server end, so the caller can send its first frames before anything else is delivered.
 */
export function acceptWatcher(ctx: DurableObjectState, request: Request, tag: string): { response: Response; socket: WebSocket; expiresAt: number } {
  const expiresAt = watcherExpiry(Number(request.headers.get(EXPIRES_HEADER) ?? "0"), Date.now());
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  ctx.acceptWebSocket(server, [tag]);
  openSockets.get(ctx)?.get(tag)?.add(server);
  server.serializeAttachment({ expiresAt } satisfies WatcherAttachment);
  return { response: new Response(null, { status: 101, webSocket: client }), socket: server, expiresAt };
}

/**
 * Each object's sockets per tag, kept in memory while the object is awake: a broadcast
 * then walks a set instead of asking the runtime for a fresh wrapper of every socket on
 * every frame (`getWebSockets` with 1,000 watchers, once per event). Filled from
 * `getWebSockets` on first use, so after a wake from hibernation (a new object, a new
 * `ctx`) it starts from what the runtime kept; `acceptWatcher` adds, `broadcast` prunes.
 */
const openSockets = new WeakMap<DurableObjectState, Map<string, Set<WebSocket>>>();

function socketsWithTag(ctx: DurableObjectState, tag: string): Set<WebSocket> {
  let byTag = openSockets.get(ctx);
  if (!byTag) openSockets.set(ctx, (byTag = new Map()));
  let set = byTag.get(tag);
  if (!set) byTag.set(tag, (set = new Set(ctx.getWebSockets(tag))));
  return set;
}

/** Watchers with `tag`, from the in-memory set (no wrapper per socket); closed ones leave it at the next frame. */
export function watcherCount(ctx: DurableObjectState, tag: string): number {
  return socketsWithTag(ctx, tag).size;
}

/**
 * Sends `data` to every open watcher with `tag` and returns how many got it; closing or
 * broken sockets are skipped, closed ones forgotten. The frame is serialised once by the
 * caller, whatever the number of sockets.
 * Expired tokens are not checked here (that would deserialize every attachment for every
 * event): the owner's alarm closes them at their expiry (`closeExpired`).
 */
export function broadcast(ctx: DurableObjectState, tag: string, data: string): number {
  let sent = 0;
  const sockets = socketsWithTag(ctx, tag);
  for (const ws of sockets) {
    if (ws.readyState === WebSocket.CLOSED) sockets.delete(ws);
    if (ws.readyState !== WebSocket.OPEN) continue;
    try {
      ws.send(data);
      sent++;
    } catch {
      // The peer went away between the state check and the send; its close event follows.
    }
  }
  return sent;
}

/** Closes every watcher whose token has expired; returns the next expiry still ahead. */
export function closeExpired(ctx: DurableObjectState, now = Date.now()): number | null {
  let next: number | null = null;
  for (const ws of ctx.getWebSockets()) {
    const att = ws.deserializeAttachment() as WatcherAttachment | null;
    if (!att) continue;
    if (att.expiresAt <= now) safeClose(ws, CLOSE_TOKEN_EXPIRED, "Token expired");
    else next = next === null ? att.expiresAt : Math.min(next, att.expiresAt);
  }
  return next;
}

export function closeAll(ctx: DurableObjectState, code: number, reason: string): void {
  for (const ws of ctx.getWebSockets()) safeClose(ws, code, reason);
}

/**
 * Completes a close the peer started (the hibernation API leaves that to the handler).
 * 1005 ("no status") may not be sent back, so it is answered 1000.
 */
export function echoClose(ws: WebSocket, code: number, reason: string): void {
  safeClose(ws, code === 1005 ? CLOSE_NORMAL : code, reason);
}

function safeClose(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closed.
  }
}

/**
 * What a watcher's frame costs the object: nothing for "ping" (answered "pong" here when
 * it reaches the handler at all: the runtime's auto-response usually answers it first),
 * and the socket for anything else. Watchers only listen, so the first other frame, of
 * whatever size, closes the socket with 1008: a viewer cannot keep a project's hub or
 * a job's object busy with frames it never needed to send.
 */
export function meterClientFrame(ws: WebSocket, message: string | ArrayBuffer): void {
  if (message === PING) {
    try {
      ws.send("pong");
    } catch {
      // Closing already.
    }
    return;
  }
  safeClose(ws, CLOSE_POLICY_VIOLATION, `Watchers may only send "${PING}"`);
}

/** Keep-alive: "ping" is answered "pong" by the runtime without waking the object. */
export function enableAutoPong(ctx: DurableObjectState): void {
  ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, "pong"));
}
