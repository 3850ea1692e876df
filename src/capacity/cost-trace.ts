/**
 * Cost tracing for `scripts/capacity.mjs` (docs/capacity.md): with `TRACE_COSTS=true`,
 * every binding the Worker and its objects use is wrapped so each billable operation
 * prints one `COST {...}` line: D1 statements (per shard, read or write), Durable Object
 * requests (RPC calls, fetches, alarms), R2 operations (class A or B) and queue messages.
 * Without the var, `traceCosts` returns `env` itself: nothing is wrapped in production.
 */
import type { Env } from "../env";

const PREFIX = "COST ";

/** One billable operation. */
export type CostLine =
  | { c: "worker"; op: "fetch" | "queue" | "scheduled" }
  | { c: "d1"; shard: string; kind: "read" | "write" }
  | { c: "do"; cls: string; op: string }
  | { c: "r2"; cls: "A" | "B"; op: string }
  | { c: "queue"; messages: number };

export function isTracing(env: Env): boolean {
  return env.TRACE_COSTS === "true";
}

export function recordCost(line: CostLine): void {
  console.log(PREFIX + JSON.stringify(line));
}

/** `env` with every binding traced, when `TRACE_COSTS` is "true". */
export function traceCosts(env: Env): Env {
  if (!isTracing(env)) return env;
  const traced: Record<string, unknown> = { ...env };
  for (const name of (env.D1_SHARDS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const db = (env as unknown as Record<string, unknown>)[name];
    if (db) traced[name] = tracedD1(db as D1Database, name);
  }
  traced.BUCKET = tracedR2(env.BUCKET);
  traced.INGEST_JOB = tracedNamespace(env.INGEST_JOB, "IngestJob");
  traced.PROJECT_HUB = tracedNamespace(env.PROJECT_HUB, "ProjectHub");
  traced.RATE_LIMITER = tracedNamespace(env.RATE_LIMITER, "RateLimiter");
  traced.INGEST_BATCH = tracedNamespace(env.INGEST_BATCH, "IngestBatch");
  traced.RETENTION_PURGER = tracedNamespace(env.RETENTION_PURGER, "RetentionPurger");
  if (env.JOB_EVENTS) traced.JOB_EVENTS = tracedQueue(env.JOB_EVENTS);
  return traced as unknown as Env;
}

const WRITE = /^\s*(insert|update|delete|replace|create|drop|alter)\b/i;
const RUNS = new Set(["run", "all", "first", "raw"]);

/** A statement's real object and SQL, behind the proxy handed to callers (for `batch`). */
const realStatement = new WeakMap<object, { stmt: D1PreparedStatement; sql: string }>();

function tracedStatement(stmt: D1PreparedStatement, sql: string, shard: string): D1PreparedStatement {
  const kind = WRITE.test(sql) ? "write" : "read";
  const proxy = new Proxy(stmt, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (prop === "bind") return (...args: unknown[]) => tracedStatement(target.bind(...args), sql, shard);
      if (typeof prop === "string" && RUNS.has(prop) && typeof value === "function") {
        return (...args: unknown[]) => {
          recordCost({ c: "d1", shard, kind });
          return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
        };
      }
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  realStatement.set(proxy, { stmt, sql });
  return proxy;
}

interface Preparer {
  prepare(query: string): D1PreparedStatement;
  batch<T>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>;
}

function tracedPreparer<P extends Preparer>(db: P, shard: string, extra: Record<string, unknown>): P {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => tracedStatement(target.prepare(query), query, shard);
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          for (const s of statements) recordCost({ c: "d1", shard, kind: WRITE.test(realStatement.get(s)?.sql ?? "") ? "write" : "read" });
          return target.batch(statements.map((s) => realStatement.get(s)?.stmt ?? s));
        };
      }
      if (prop in extra) return extra[prop as string];
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function tracedD1(db: D1Database, shard: string): D1Database {
  return tracedPreparer(db, shard, {
    withSession: (constraint?: string) => tracedPreparer(db.withSession(constraint), shard, {}),
  });
}

const CLASS_A = new Set(["put", "delete", "list", "createMultipartUpload", "resumeMultipartUpload"]);

function tracedR2(bucket: R2Bucket): R2Bucket {
  return new Proxy(bucket, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (typeof prop === "string") recordCost({ c: "r2", cls: CLASS_A.has(prop) ? "A" : "B", op: prop });
        return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
      };
    },
  });
}

function tracedNamespace<T extends object>(ns: T, cls: string): T {
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (prop !== "get" || typeof value !== "function") {
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return (...args: unknown[]) => tracedStub((value as (...a: unknown[]) => object).apply(target, args), cls);
    },
  });
}

function tracedStub(stub: object, cls: string): object {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function" || typeof prop !== "string" || prop === "then") return value;
      return (...args: unknown[]) => {
        recordCost({ c: "do", cls, op: prop });
        return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
      };
    },
  });
}

function tracedQueue(queue: Queue): Queue {
  return new Proxy(queue, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const messages = prop === "sendBatch" ? (args[0] as unknown[]).length : 1;
        recordCost({ c: "queue", messages });
        return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
      };
    },
  });
}
