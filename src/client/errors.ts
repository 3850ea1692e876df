/** The one error the SDK throws for a refused or failed call. */

/** An RFC 9457 problem from the API, or a failure to reach it (`status` 0). */
export class EdgeIngestError extends Error {
  override readonly name = "EdgeIngestError";
  constructor(
    /** HTTP status; 0 when no response arrived (network error, socket unavailable). */
    readonly status: number,
    /** The problem's `detail`: safe to show a user. */
    readonly detail: string,
    /** The server's `X-Request-Id`, to find the request in its logs. */
    readonly requestId: string | null = null,
    readonly type: string = "about:blank",
    readonly title: string = "",
    /** The whole problem body, with any extension members. */
    readonly body: Record<string, unknown> = {},
  ) {
    super(status ? `${status}${title ? ` ${title}` : ""}: ${detail}` : detail);
  }

  /** Reads a non-2xx response into an error (its body is consumed). */
  static async from(res: Response): Promise<EdgeIngestError> {
    const requestId = res.headers.get("X-Request-Id");
    let body: Record<string, unknown> = {};
    try {
      const text = await res.text();
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = {};
    }
    const detail = typeof body.detail === "string" ? body.detail : res.statusText || `HTTP ${res.status}`;
    const title = typeof body.title === "string" ? body.title : res.statusText;
    const type = typeof body.type === "string" ? body.type : "about:blank";
    return new EdgeIngestError(res.status, detail, requestId, type, title, body);
  }
}
