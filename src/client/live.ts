/**
 * A live stream over WebSocket that survives dropped sockets: every frame is yielded
 * exactly once and in order. Each frame carries a position (`seq` on a job's stream,
 * `projectSeq` on a project's); on a drop the stream reconnects with `?after=<last
 * position>`, the server replays what was missed, and anything already yielded is
 * skipped. A refused reconnect (expired token, deleted job) surfaces as the HTTP problem.
 */
import { backoffDelay, type Backoff } from "../backoff";
import { EdgeIngestError } from "./errors";
import { sleep } from "./transport";

/** The constructor the SDK opens sockets with (the global `WebSocket` by default). */
export type WebSocketConstructor = new (url: string) => WebSocket;

export interface LiveSource<F> {
  /** The socket URL, resuming after `position` (null: from now, snapshot first). */
  url(position: number | null): Promise<string>;
  /** The frame's position in the stream, if it carries one. */
  position(frame: F): number | undefined;
  /** A snapshot restarts the count at its position instead of being one step of it. */
  isSnapshot(frame: F): boolean;
  /** Whether the stream has nothing more to say after this frame. */
  isLast(frame: F): boolean;
  /**
   * How many positions right before this frame the server left out of the socket on
   * purpose (progress frames coalesced at the fan-out): a hole that size is no gap.
   */
  coalesced?(frame: F): number;
  /** Frames between two positions, from a log, to fill a hole; absent: holes are not filled. */
  fill?(after: number, before: number): Promise<F[]>;
  /** Throws the server's problem when it refuses the stream over HTTP (401, 403, 404). */
  probe(): Promise<void>;
  /** Used when sockets cannot be opened at all: frames after `position` by other means. */
  fallback?(position: number | null, signal?: AbortSignal): AsyncGenerator<F>;
  /** Made when the socket dropped and the server cannot replay (frames carry no position). */
  gap?(reason: string): F;
  /** A normal close (1000) ends the stream: nothing more will come. */
  endOnNormalClose: boolean;
}

export interface LiveOptions {
  after?: number;
  signal?: AbortSignal;
  /** `null`: never open sockets (use the fallback). */
  WebSocket?: WebSocketConstructor | null;
  /** Consecutive failed opens before giving up (or falling back). Default 5. */
  maxFailedOpens?: number;
  /** Called each time a socket opens (e.g. to start work that the stream must not miss). */
  onOpen?: () => void;
  /** Keep-alive ping interval (the server auto-answers "pong"). Default 30 s. */
  pingMs?: number;
}

/** Reads one socket as a queue of text frames. */
class SocketReader {
  opened = false;
  closed: { code: number; reason: string } | null = null;
  private readonly queue: string[] = [];
  private wake: (() => void) | null = null;
  private readonly ws: WebSocket;
  private ping: ReturnType<typeof setInterval> | undefined;

  constructor(url: string, Ctor: WebSocketConstructor, pingMs: number, onOpen?: () => void) {
    this.ws = new Ctor(url);
    this.ws.addEventListener("open", () => {
      this.opened = true;
      onOpen?.();
      this.ping = setInterval(() => this.safeSend("ping"), pingMs);
    });
    this.ws.addEventListener("message", (ev: MessageEvent) => {
      if (typeof ev.data === "string") this.queue.push(ev.data);
      this.notify();
    });
    this.ws.addEventListener("close", (ev: CloseEvent) => {
      this.closed = { code: ev.code, reason: ev.reason };
      clearInterval(this.ping);
      this.notify();
    });
    // An error is always followed by a close event, which is what the loop acts on.
    this.ws.addEventListener("error", () => undefined);
  }

  /** The next text frame, or null once the socket has closed and the queue is empty. */
  async next(): Promise<string | null> {
    for (;;) {
      const frame = this.queue.shift();
      if (frame !== undefined) return frame;
      if (this.closed) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  close(code = 1000): void {
    clearInterval(this.ping);
    try {
      this.ws.close(code);
    } catch {
      // already closing
    }
    this.closed ??= { code, reason: "closed by client" };
    this.notify();
  }

  private safeSend(data: string): void {
    try {
      if (this.ws.readyState === 1) this.ws.send(data);
    } catch {
      // the close event follows
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** Reconnects after failed opens: 0.4 s, 0.8 s … up to 5 s. */
const RECONNECT: Backoff = { initialMs: 400, maxMs: 5_000 };

/** Reconnect delays after a drop: immediate, then growing with each failed open. */
const reconnectDelay = (failures: number) => (failures === 0 ? 0 : backoffDelay(RECONNECT, failures - 1));

/** The frames of a live stream, each exactly once, across dropped sockets. */
export async function* liveStream<F>(source: LiveSource<F>, options: LiveOptions = {}): AsyncGenerator<F> {
  const { signal } = options;
  const Ctor = options.WebSocket === null ? undefined : (options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket);
  if (!Ctor) {
    if (source.fallback) return yield* source.fallback(options.after ?? null, signal);
    throw new EdgeIngestError(0, "No WebSocket implementation: pass one as the `WebSocket` option");
  }
  let last: number | null = options.after ?? null;
  let failedOpens = 0;
  let everOpened = false;
  for (;;) {
    if (signal?.aborted) return;
    const reader = new SocketReader(await source.url(last), Ctor, options.pingMs ?? 30_000, options.onOpen);
    const abort = () => reader.close();
    signal?.addEventListener("abort", abort, { once: true });
    try {
      for (let raw = await reader.next(); raw !== null; raw = await reader.next()) {
        if (raw === "pong") continue;
        const frame = JSON.parse(raw) as F;
        failedOpens = 0;
        const pos = source.position(frame);
        if (source.isSnapshot(frame)) {
          if (pos !== undefined) last = pos;
        } else if (pos !== undefined && last !== null) {
          if (pos <= last) continue; // already yielded before the drop
          if (pos - last - 1 > (source.coalesced?.(frame) ?? 0) && source.fill) {
            for (const missed of await source.fill(last, pos)) {
              const p = source.position(missed);
              if (p === undefined || p <= last || p >= pos) continue;
              last = p;
              yield missed;
            }
          }
          last = pos;
        } else if (pos !== undefined) {
          last = pos;
        }
        yield frame;
        if (source.isLast(frame)) return;
      }
    } finally {
      signal?.removeEventListener("abort", abort);
      reader.close();
    }
    if (signal?.aborted) return;
    const closed = reader.closed ?? { code: 1006, reason: "" };
    if (reader.opened) everOpened = true;
    else failedOpens++;
    if (closed.code === 1000 && reader.opened && source.endOnNormalClose) return;
    if (!reader.opened || closed.code === 4001) await source.probe(); // throws a refusal (401, 403, 404)
    if (failedOpens >= (options.maxFailedOpens ?? 5)) {
      if (source.fallback) return yield* source.fallback(last, signal);
      throw new EdgeIngestError(0, `Could not open a WebSocket (${failedOpens} tries)`);
    }
    if (everOpened && last === null && source.gap) yield source.gap(`socket closed (${closed.code}) and the server sent no position to resume from`);
    await sleep(reconnectDelay(failedOpens), signal).catch(() => undefined);
  }
}

/** Whether the client can open sockets: its own `WebSocket` option, else a global one (`null`: never). */
export function canOpenSockets(WebSocket: WebSocketConstructor | null | undefined): boolean {
  return WebSocket !== null && (WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket) !== undefined;
}

/**
 * The stored event log after `position`, polled every `pollMs`: what a live stream of
 * `seq`-numbered events falls back to where no socket can be opened. Each event is
 * yielded once, in order; ends after the event `isLast` accepts.
 */
export async function* followLog<E extends { seq: number }>(
  log: (after: number) => Promise<{ items: E[] }>,
  isLast: (event: E) => boolean,
  position: number | null,
  pollMs: number,
  signal?: AbortSignal,
): AsyncGenerator<E> {
  let after = position ?? 0;
  for (;;) {
    const page = await log(after);
    for (const e of page.items) {
      if (e.seq <= after) continue;
      after = e.seq;
      yield e;
      if (isLast(e)) return;
    }
    await sleep(pollMs, signal);
  }
}

/** How `waitFor` follows one job or batch to its end. */
export interface WaitSource<T, F> {
  /** Its live frames (a socket that falls back to the log). */
  events(): AsyncIterable<F>;
  /** The frame after which nothing more will come. */
  isLast(frame: F): boolean;
  onFrame?(frame: F): void;
  /** The finished thing, read once its stream ended. */
  read(): Promise<T>;
  /** Reads it until it has finished: where no socket can be opened at all. */
  poll(): Promise<T>;
}

/**
 * Resolves with the finished job or batch: follows its socket, then reads it once; where
 * sockets are unavailable (none in the runtime, or none could be opened), polls instead.
 */
export async function waitFor<T, F>(
  source: WaitSource<T, F>,
  options: { WebSocket: WebSocketConstructor | null | undefined; signal?: AbortSignal },
): Promise<T> {
  if (canOpenSockets(options.WebSocket)) {
    try {
      for await (const frame of source.events()) {
        source.onFrame?.(frame);
        if (source.isLast(frame)) break;
      }
      if (options.signal?.aborted) throw options.signal.reason;
      return await source.read();
    } catch (err) {
      if (!(err instanceof EdgeIngestError) || err.status !== 0) throw err;
      // sockets could not be opened: poll instead
    }
  }
  return source.poll();
}
