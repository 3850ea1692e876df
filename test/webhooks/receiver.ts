/**
 * A scripted webhook receiver for the workerd test pool. The hub's outbound `fetch` runs
 * in the test's isolate, so replacing the global `fetch` intercepts its POSTs to
 * `https://receiver.test/…`; anything else goes to the real `fetch`.
 */
import { vi } from "vitest";

export const RECEIVER = "https://receiver.test";

export interface Received {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** What the receiver answered: a status, or "hang" (never answered). */
  answer: number | "hang";
}

/** Per path: answers to give in order; the last one repeats. Default 204. */
export class Receiver {
  readonly received: Received[] = [];
  /** Attempts to a hanging path that the sender gave up on (its timeout fired), in order. */
  readonly abandoned: Received[] = [];
  private readonly script = new Map<string, (number | "hang")[]>();

  answer(path: string, ...answers: (number | "hang")[]): this {
    this.script.set(path, answers);
    return this;
  }

  to(path: string): Received[] {
    return this.received.filter((r) => new URL(r.url).pathname === path);
  }

  install(): () => void {
    const real = globalThis.fetch;
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const req = new Request(input, init);
      if (!req.url.startsWith(RECEIVER)) return real(input, init);
      const path = new URL(req.url).pathname;
      const answers = this.script.get(path) ?? [204];
      const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
      const received: Received = { url: req.url, headers: Object.fromEntries(req.headers), body: await req.text(), answer };
      this.received.push(received);
      if (answer === "hang") {
        return new Promise<Response>((_, reject) => {
          const signal = init?.signal;
          signal?.addEventListener("abort", () => {
            this.abandoned.push(received);
            reject(signal.reason);
          });
        });
      }
      return new Response(null, { status: answer });
    });
    return () => spy.mockRestore();
  }
}
