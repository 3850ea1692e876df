/** Types of `fake-arxiv.mjs`. */
export const DROP: unique symbol;
export interface FakeArxiv {
  /** Answers one request, or returns `DROP` when the connection must be closed unanswered. */
  handle(request: Request): Promise<Response | typeof DROP>;
  reset(): void;
  /** The paper id at a corpus position. */
  paperId(position: number): string;
  recorded: { url: string; status_code: number; body: string }[];
}
export function createFakeArxiv(): FakeArxiv;
