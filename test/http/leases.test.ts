/**
 * The lease policy (`src/http/leases.ts`) and the isolate's holder, run against a simulated
 * limiter object with many isolates, random arrivals and a virtual clock. The invariant is
 * asserted in every window; the under-admission is measured and printed, with only a loose
 * bound asserted (it is a cost, not a contract).
 */
import { describe, expect, it } from "vitest";
import { ASK_STALE_MS, LeaseHolder, type RateDecision } from "../../src/http/lease-holder";
import { emptyBook, grantLease, type LeaseAsk, type LeaseGrant, leaseSize, observeArrival, noRate } from "../../src/http/leases";
import { rng } from "../pipeline/random";

describe("leaseSize", () => {
  it("grants nothing once the window's budget is gone", () => {
    expect(leaseSize(0, 3, 5, 100, 1000)).toBe(0);
  });

  it("grants exactly what waits when little is left (no more than two tokens per active isolate)", () => {
    expect(leaseSize(6, 3, 1, 1000, 1000)).toBe(1);
    expect(leaseSize(6, 3, 4, 1000, 1000)).toBe(4);
    expect(leaseSize(2, 1, 5, 0, 1000)).toBe(2);
  });

  it("prefetches the isolate's rate over the horizon, capped by its fair share of what is left", () => {
    expect(leaseSize(100, 1, 1, 5, 1000)).toBe(5); // 5/s for 1 s
    expect(leaseSize(100, 10, 1, 50, 1000)).toBe(10); // fair share 100 / 10
    expect(leaseSize(1000, 2, 1, 0.1, 1000)).toBe(1); // at least what waits
    expect(leaseSize(50, 1, 80, 5, 1000)).toBe(50); // never above what is left
  });
});

describe("grantLease", () => {
  it("never grants more than the limit in a window, and starts afresh in the next", () => {
    let book = emptyBook();
    let total = 0;
    for (let i = 0; i < 50; i++) {
      const r = grantLease(book, { isolate: `i${i % 7}`, want: 3, rate: 20 }, 40, 60_000, 1_000 + i);
      book = r.book;
      total += r.grant.tokens;
      expect(r.grant.remaining).toBe(40 - total);
    }
    expect(total).toBe(40);
    const next = grantLease(book, { isolate: "i0", want: 1, rate: 0 }, 40, 60_000, 60_000);
    expect(next.grant.tokens).toBe(1);
    expect(next.grant.remaining).toBe(39);
    expect(next.grant.validForMs).toBe(60_000);
  });

  it("counts isolates that asked recently as sharing the budget, and forgets quiet ones", () => {
    let book = emptyBook();
    for (const id of ["a", "b", "c", "d"]) book = grantLease(book, { isolate: id, want: 1, rate: 0 }, 1000, 60_000, 0).book;
    expect(Object.keys(book.seen)).toHaveLength(4);
    book = grantLease(book, { isolate: "a", want: 1, rate: 0 }, 1000, 60_000, 20_000).book;
    expect(Object.keys(book.seen)).toEqual(["a"]);
  });
});

describe("observeArrival", () => {
  it("settles near the arrival rate", () => {
    let est = noRate(0);
    for (let t = 0; t < 10_000; t += 100) est = observeArrival(est, t); // 10 per second
    expect(est.perSecond).toBeGreaterThan(8);
    expect(est.perSecond).toBeLessThan(12);
  });
});

/** A discrete-event simulation: a virtual clock, one limiter object, `n` isolates. */
class Simulation {
  now = 0;
  private events: { t: number; seq: number; run: () => void }[] = [];
  private seq = 0;
  private book = emptyBook();
  asks = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    /** One-way delay between an isolate and the object. */
    readonly delayMs: number,
  ) {}

  at(t: number, run: () => void): void {
    const e = { t, seq: this.seq++, run };
    let i = this.events.length;
    this.events.push(e);
    // Sift up (a binary min-heap on t, then seq).
    while (i > 0) {
      const p = (i - 1) >> 1;
      const a = this.events[p]!;
      if (a.t < e.t || (a.t === e.t && a.seq < e.seq)) break;
      this.events[i] = a;
      i = p;
    }
    this.events[i] = e;
  }

  private pop() {
    const top = this.events[0]!;
    const last = this.events.pop()!;
    if (this.events.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        const less = (x: number, y: { t: number; seq: number }) => {
          const e = x === i ? last : this.events[x]!;
          return e.t < y.t || (e.t === y.t && e.seq < y.seq);
        };
        const cur = () => (m === i ? last : this.events[m]!);
        if (l < this.events.length && less(l, cur())) m = l;
        if (r < this.events.length && less(r, cur())) m = r;
        if (m === i) break;
        this.events[i] = this.events[m]!;
        i = m;
      }
      this.events[i] = last;
    }
    return top;
  }

  /** The object, reached after `delayMs`, answering after another `delayMs`. */
  ask = (a: LeaseAsk): Promise<LeaseGrant> =>
    new Promise((resolve) => {
      this.at(this.now + this.delayMs, () => {
        this.asks++;
        const r = grantLease(this.book, a, this.limit, this.windowMs, this.now);
        this.book = r.book;
        this.at(this.now + this.delayMs, () => resolve(r.grant));
      });
    });

  sleep = (ms: number): Promise<void> => new Promise((r) => this.at(this.now + ms, r));

  holder(id: string): LeaseHolder {
    return new LeaseHolder(id, () => this.now, this.sleep);
  }

  async run(): Promise<void> {
    while (this.events.length > 0) {
      const e = this.pop();
      this.now = e.t;
      e.run();
      // Let every promise chain the event started settle before time moves on.
      for (let k = 0; k < 40; k++) await Promise.resolve();
    }
  }
}

interface Scenario {
  name: string;
  limit: number;
  windowMs: number;
  isolates: number;
  /** Requests per second over all isolates. */
  rate: number;
  windows: number;
  delayMs: number;
  /** Share of requests going to the busiest isolates (0: uniform). */
  skew: number;
  /** Requests arrive in bursts of this many at one instant. */
  burst: number;
  seed: number;
}

interface WindowTally {
  demand: number;
  admitted: number;
}

async function simulate(s: Scenario) {
  const sim = new Simulation(s.limit, s.windowMs, s.delayMs);
  const r = rng(s.seed);
  const holders = Array.from({ length: s.isolates }, (_, i) => sim.holder(`iso${i}`));
  const tallies: WindowTally[] = Array.from({ length: s.windows + 1 }, () => ({ demand: 0, admitted: 0 }));
  const end = s.windows * s.windowMs;
  const decisions: RateDecision[] = [];
  let arrivals = 0;
  for (let t = 0; t < end; ) {
    t += (-Math.log(1 - r()) * 1000 * s.burst) / s.rate; // Poisson bursts
    if (t >= end) break;
    const arrival = Math.floor(t);
    for (let b = 0; b < s.burst; b++) {
      arrivals++;
      const busy = r() < s.skew;
      const h = holders[busy ? Math.floor(r() * Math.max(1, Math.ceil(s.isolates / 10))) : Math.floor(r() * s.isolates)]!;
      sim.at(arrival, () => {
        tallies[Math.floor(sim.now / s.windowMs)]!.demand++;
        void h.acquire(sim.ask).then((d) => {
          decisions.push(d);
          if (d.allowed) tallies[Math.floor(sim.now / s.windowMs)]!.admitted++;
        });
      });
    }
  }
  await sim.run();
  const full = tallies.slice(0, s.windows);
  const possible = full.reduce((n, w) => n + Math.min(w.demand, s.limit), 0);
  const admitted = full.reduce((n, w) => n + w.admitted, 0);
  const demand = full.reduce((n, w) => n + w.demand, 0);
  return { tallies: full, possible, admitted, demand, arrivals, decided: decisions.length, asks: sim.asks };
}

const SCENARIOS: Scenario[] = [
  { name: "100/min, 50 isolates, 1.8x over", limit: 100, windowMs: 60_000, isolates: 50, rate: 3, windows: 6, delayMs: 20, skew: 0, burst: 1, seed: 1 },
  {
    name: "100/min, 50 isolates, 0.7x (under)",
    limit: 100,
    windowMs: 60_000,
    isolates: 50,
    rate: 70 / 60,
    windows: 6,
    delayMs: 20,
    skew: 0,
    burst: 1,
    seed: 2,
  },
  {
    name: "100/min, 20 isolates, skewed, 5x over",
    limit: 100,
    windowMs: 60_000,
    isolates: 20,
    rate: 500 / 60,
    windows: 6,
    delayMs: 30,
    skew: 0.8,
    burst: 1,
    seed: 3,
  },
  {
    name: "1000/min, 10 isolates, skewed, 3x over",
    limit: 1000,
    windowMs: 60_000,
    isolates: 10,
    rate: 50,
    windows: 4,
    delayMs: 10,
    skew: 0.7,
    burst: 1,
    seed: 4,
  },
  { name: "1000/min, 10 isolates, 0.9x (under)", limit: 1000, windowMs: 60_000, isolates: 10, rate: 15, windows: 4, delayMs: 10, skew: 0.5, burst: 1, seed: 5 },
  {
    name: "60/min, 30 isolates, bursts of 25, 2x over",
    limit: 60,
    windowMs: 60_000,
    isolates: 30,
    rate: 2,
    windows: 6,
    delayMs: 25,
    skew: 0.3,
    burst: 25,
    seed: 6,
  },
  { name: "10/s, 8 isolates, 4x over, slow object", limit: 10, windowMs: 1_000, isolates: 8, rate: 40, windows: 30, delayMs: 80, skew: 0.5, burst: 1, seed: 7 },
];

describe("leases under many isolates and random arrivals (simulated)", () => {
  it("let exactly 10 of 20 concurrent requests through a limit of 10 in one isolate", async () => {
    const sim = new Simulation(10, 60_000, 5);
    const h = sim.holder("only");
    const results: RateDecision[] = [];
    sim.at(1_000, () => {
      for (let i = 0; i < 20; i++) void h.acquire(sim.ask).then((d) => results.push(d));
    });
    await sim.run();
    expect(results.filter((d) => d.allowed)).toHaveLength(10);
    expect(
      results
        .filter((d) => d.allowed)
        .map((d) => d.remaining)
        .sort((a, b) => a - b),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sim.asks).toBeLessThanOrEqual(3); // the waiters share one ask at a time
  });

  it("do not spend a grant that arrives after its window ended: they ask the next window", async () => {
    const sim = new Simulation(5, 1_000, 10);
    const h = sim.holder("late");
    let decidedAt = -1;
    let decision: RateDecision | null = null;
    // Sent at 985, decided by the object at 995 (5 ms of window left), back at 1,005: void.
    sim.at(985, () => void h.acquire(sim.ask).then((d) => ((decision = d), (decidedAt = sim.now))));
    await sim.run();
    expect(decision!.allowed).toBe(true);
    expect(decidedAt).toBeGreaterThanOrEqual(1_000);
    expect(sim.asks).toBe(2);
  });

  it("reject the waiting request when the object cannot be reached, and ask again for the next", async () => {
    let calls = 0;
    const ask = async (): Promise<LeaseGrant> => {
      calls++;
      if (calls === 1) throw new Error("limiter unavailable");
      return { tokens: 1, limit: 3, remaining: 2, validForMs: 60_000 };
    };
    const h = new LeaseHolder("flaky");
    await expect(h.acquire(ask)).rejects.toThrow("limiter unavailable");
    expect((await h.acquire(ask)).allowed).toBe(true);
    expect(calls).toBe(2);
  });

  it("let a waiting request ask again once another's ask has been in flight for ASK_STALE_MS", async () => {
    const sim = new Simulation(10, 60_000, 5);
    const h = sim.holder("stale");
    const lost = (): Promise<LeaseGrant> => new Promise(() => {}); // that request was cancelled mid-call
    let decidedAt = -1;
    sim.at(0, () => void h.acquire(lost));
    sim.at(100, () => void h.acquire(sim.ask).then((d) => d.allowed && (decidedAt = sim.now)));
    await sim.run();
    expect(decidedAt).toBeGreaterThan(ASK_STALE_MS);
    expect(decidedAt).toBeLessThan(ASK_STALE_MS + 100);
    expect(sim.asks).toBe(1);
  });

  it("never admit more than the limit in any window; under-admission stays small", async () => {
    const report: string[] = [];
    for (const s of SCENARIOS) {
      const out = await simulate(s);
      expect(out.decided, `${s.name}: every request decided`).toBe(out.arrivals);
      for (const [i, w] of out.tallies.entries()) expect(w.admitted, `${s.name}, window ${i}`).toBeLessThanOrEqual(s.limit);
      const under = out.possible - out.admitted;
      const share = under / out.possible;
      report.push(
        `${s.name.padEnd(42)} demand ${String(out.demand).padStart(5)}  admissible ${String(out.possible).padStart(5)}  admitted ${String(out.admitted).padStart(5)}  under-admitted ${String(under).padStart(4)} (${(share * 100).toFixed(1)}%)  object asks ${out.asks} (${((out.asks / out.demand) * 100).toFixed(0)}% of requests)`,
      );
      expect(share, s.name).toBeLessThan(0.25);
    }
    console.log(`lease simulation (seeded):\n${report.join("\n")}`);
  });
});
