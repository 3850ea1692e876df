/** `client.projects`: the project-wide live stream. */
import type { ProjectOption } from "./jobs";
import { liveStream, type LiveOptions } from "./live";
import type { Transport } from "./transport";
import type { ProjectFrame } from "./types";

export interface ProjectsHost {
  transport: Transport;
  project(opts?: ProjectOption): string;
  WebSocket?: LiveOptions["WebSocket"] | null;
}

export type ProjectEventsOptions = ProjectOption & LiveOptions;

export class Projects {
  constructor(private readonly host: ProjectsHost) {}

  /**
   * Every frame of every job in the project, live: a `project.snapshot` (the QUEUED and
   * RUNNING jobs) first unless `after` is given, then job frames, each with the
   * `projectSeq` it carries. On a dropped socket it reconnects with
   * `?after=<projectSeq>`: no frame is missed or repeated. Against a server that sends
   * no `projectSeq`, a drop yields a `stream.gap` frame instead, so the consumer can
   * re-read what it follows. Runs until `signal` aborts or the loop breaks.
   */
  events(opts: ProjectEventsOptions = {}): AsyncGenerator<ProjectFrame> {
    const projectId = this.host.project(opts);
    const http = this.host.transport;
    const path = `/api/projects/${encodeURIComponent(projectId)}/ingest/events`;
    return liveStream<ProjectFrame>(
      {
        async url(position) {
          return http.url(path, { after: position ?? undefined, access_token: await http.token() }).replace(/^http/, "ws");
        },
        position: (f) => ("projectSeq" in f ? f.projectSeq : undefined),
        isSnapshot: (f) => f.type === "project.snapshot",
        isLast: () => false,
        // Without an upgrade the route answers 426 once auth passed; 401/403 are the refusals.
        async probe() {
          try {
            await http.send({ method: "GET", path, projectId, retry: false });
          } catch (err) {
            if ((err as { status?: number }).status !== 426) throw err;
          }
        },
        gap: (reason) => ({ type: "stream.gap", reason }),
        endOnNormalClose: false,
      },
      { WebSocket: this.host.WebSocket, ...opts },
    );
  }
}
