/**
 * The fake arXiv as the arxiv test project sees it (`https://arxiv.fake`, answered by
 * scripts/lib/fake-arxiv.mjs in the test runner): reset, control and the request log.
 */
import { env } from "cloudflare:workers";
import type { ArxivGate } from "../../src/arxiv/gate";

export const FAKE = "https://arxiv.fake";
export const INTERVAL_MS = 200;

export interface FakeRequest {
  at: number;
  path: string;
  search: string;
  userAgent: string | null;
  /** The fake's own time to build the answer. */
  ms: number;
}

export interface Fault {
  on: "api" | "pdf";
  fault: "503" | "429" | "empty" | "slow" | "drop" | "html" | "error" | "huge";
  start?: number;
  id?: string;
  /** A substring of the request's query string. */
  search?: string;
  /** The `error` fault's message. */
  message?: string;
  times?: number;
  retryAfter?: number;
  delayMs?: number;
  bytes?: number;
}

export async function resetFake(): Promise<void> {
  await (await fetch(`${FAKE}/__reset`, { method: "POST" })).body?.cancel();
}

export async function controlFake(body: {
  total?: number;
  bump?: string[];
  retitle?: Record<string, string>;
  pageLimit?: number | null;
  faults?: Fault[];
}): Promise<void> {
  const res = await fetch(`${FAKE}/__control`, { method: "POST", body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`fake control failed: ${res.status}`);
  await res.body?.cancel();
}

export async function fakeRequests(): Promise<FakeRequest[]> {
  return (await fetch(`${FAKE}/__requests`)).json();
}

/** Gaps between consecutive arrivals at the fake, in ms. */
export function gaps(requests: FakeRequest[]): number[] {
  return requests.slice(1).map((r, i) => r.at - requests[i]!.at);
}

export function gate(): DurableObjectStub<ArxivGate> {
  return env.ARXIV_GATE.getByName("arxiv");
}

/** A page URL under the fake's API for `search_query=q` at `start`. */
export function pageOf(q: string, start = 0, max = 10): string {
  return `${FAKE}/api/query?search_query=${encodeURIComponent(q)}&id_list=&start=${start}&max_results=${max}`;
}
