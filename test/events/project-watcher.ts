/** A project-stream watcher for tests: connects through the Worker and collects frames. */
import { call } from "../helpers";

export interface ProjectStreamFrame {
  type: string;
  seq?: number;
  projectSeq: number;
  jobId?: string;
  jobs?: { id: string; status: string; stage: string; progress: number; updatedAt: string }[];
  job?: { id: string; status: string };
}

export const projectEvents = (projectId: string) => `/api/projects/${projectId}/ingest/events`;

export class ProjectWatcher {
  frames: ProjectStreamFrame[] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("message", (e) => {
      if (typeof e.data === "string") this.frames.push(JSON.parse(e.data));
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async connect(projectId: string, t: string, after?: number): Promise<ProjectWatcher> {
    const q = after === undefined ? "" : `?after=${after}`;
    const res = await call(`${projectEvents(projectId)}${q}`, { token: t, headers: { Upgrade: "websocket" } });
    if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade refused: ${res.status} ${await res.text()}`);
    return new ProjectWatcher(res.webSocket);
  }

  /** Job frames only (no snapshot). */
  get jobFrames(): ProjectStreamFrame[] {
    return this.frames.filter((f) => f.type !== "project.snapshot");
  }

  async until(pred: () => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out; frames: ${this.frames.map((f) => `${f.type}#${f.projectSeq}`).join(", ")}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  close(): void {
    try {
      this.ws.close(1000, "bye");
    } catch {
      // already closed
    }
  }
}
