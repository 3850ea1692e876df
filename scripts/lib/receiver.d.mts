/** Types of `receiver.mjs`. */
import type { IncomingHttpHeaders } from "node:http";

export interface ReceivedRequest {
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  answer: number | "hang";
}

export type Answer = (req: ReceivedRequest, index: number) => number | "hang";

export interface Receiver {
  url: string;
  received: ReceivedRequest[];
  setAnswer(fn: Answer): void;
  close(): Promise<void>;
}

export function startReceiver(opts?: { answer?: Answer }): Promise<Receiver>;
