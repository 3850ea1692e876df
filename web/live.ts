/**
 * Live streams over WebSocket that survive a dropped connection: each frame's position
 * (`projectSeq` on the project stream, `seq` on a job's) is remembered, and a reconnect
 * asks for `?after=<position>`, so the server replays what was missed (DESIGN §5).
 * Without a position yet (no snapshot, no numbered frame), a reconnect says so through
 * `onGap`, and the view reloads what it shows instead.
 */
export interface LiveHandlers {
  onMessage(msg: Record<string, unknown>): void;
  /** Reconnected without a position: frames may have been missed. */
  onGap(): void;
  onStatus?(connected: boolean): void;
}

export class LiveStream {
  private socket: WebSocket | null = null;
  private position: number | null = null;
  private retries = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private opened = false;

  /**
   * @param url the socket URL for a position (null: from now on)
   * @param positionOf where a message puts the stream, or undefined if it does not
   */
  constructor(
    private readonly url: (after: number | null) => string,
    private readonly positionOf: (msg: Record<string, unknown>) => number | undefined,
    private readonly handlers: LiveHandlers,
  ) {}

  start(after: number | null = null): this {
    this.position = after;
    this.connect();
    return this;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close(1000, "done");
    this.socket = null;
  }

  private connect(): void {
    if (this.stopped) return;
    const reconnecting = this.opened;
    const ws = new WebSocket(this.url(this.position));
    this.socket = ws;
    ws.onopen = () => {
      this.retries = 0;
      this.handlers.onStatus?.(true);
      if (reconnecting && this.position === null) this.handlers.onGap();
      this.opened = true;
    };
    ws.onmessage = (e) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(String(e.data)) as Record<string, unknown>;
      } catch {
        return;
      }
      const at = this.positionOf(msg);
      if (at !== undefined) {
        // A replay can overlap what was already seen: never apply a frame twice.
        if (this.position !== null && at <= this.position && msg.type !== "project.snapshot" && msg.type !== "job.snapshot") return;
        this.position = at;
      }
      this.handlers.onMessage(msg);
    };
    ws.onclose = (e) => {
      if (this.socket !== ws) return;
      this.socket = null;
      this.handlers.onStatus?.(false);
      // 1000: the server has said everything (the job ended or was deleted); reconnecting would only hear that again.
      if (this.stopped || e.code === 1000) return;
      const delay = Math.min(10_000, 500 * 2 ** this.retries++);
      this.timer = setTimeout(() => this.connect(), delay);
    };
    // A failed connection also closes; the close handler retries.
    ws.onerror = () => undefined;
  }
}
