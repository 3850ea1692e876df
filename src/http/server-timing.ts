/**
 * `Server-Timing` (W3C Server Timing) for the create route: how long each phase of the
 * request took, so `bench/create.mjs` can show where a create's time goes. Workers clocks
 * advance only across I/O, so a phase that is pure CPU (sniffing, hashing) reads as the
 * I/O it waited on; that is the part worth knowing on this path.
 */
export class ServerTiming {
  private last = Date.now();
  private readonly parts: string[] = [];

  /** Ends the phase `name` now. */
  mark(name: string): void {
    const now = Date.now();
    this.parts.push(`${name};dur=${now - this.last}`);
    this.last = now;
  }

  header(): string {
    return this.parts.join(", ");
  }
}
