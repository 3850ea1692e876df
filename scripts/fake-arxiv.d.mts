/** Types of `fake-arxiv.mjs`. */
import type { FakeArxiv } from "./lib/fake-arxiv.mjs";
export function startFakeArxiv(options?: { port?: number; host?: string }): Promise<{ url: string; fake: FakeArxiv; close(): Promise<void> }>;
