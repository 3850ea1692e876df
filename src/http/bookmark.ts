/**
 * D1 sessions and bookmarks (DESIGN §12). A route's D1 queries run in one D1 session on
 * the project's shard, so reads may be served by a nearby replica; the caller's own
 * writes stay visible to it through `x-d1-bookmark`, Cloudflare's own convention:
 *
 * - Every response whose request touched D1 carries `x-d1-bookmark: <shard>:<bookmark>`,
 *   the newest of the session's bookmark and that of the job object's index write.
 * - A request that sends one back reads at least that fresh (`withSession(bookmark)`).
 *   The shard prefix keeps a bookmark of one database from being applied to another: a
 *   bookmark of another shard (another project, or before a reshard) is ignored.
 * - A caller that sends none reads from the primary first (`first-primary`), so a plain
 *   caller sees its own creates, cancels and deletes right away. A caller that prefers
 *   any replica may send `x-d1-bookmark: first-unconstrained`.
 * - A malformed value is a 400 problem: it is a client bug, not something to guess about.
 */
import type { Context, MiddlewareHandler } from "hono";
import { BOOKMARK_HEADER } from "../contract/headers";
import { newerBookmark, projectShard, sessionDatabase, type Shard } from "../db/shards";
import type { AppEnv } from "./app-env";
import { badRequest } from "./problem";

type Constraint = "first-primary" | "first-unconstrained";

/** What the caller asked for: a bookmark of one shard, a constraint, or nothing. */
export type RequestedFreshness = { shard: string; bookmark: string } | { constraint: Constraint } | null;

/** Per request: what was asked, the session opened, and bookmarks of writes made elsewhere. */
export interface D1RequestState {
  requested: RequestedFreshness;
  session?: { shard: Shard; session: D1DatabaseSession };
  written?: { shard: string; bookmark: string };
}

const SHARD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** D1 bookmarks are hex groups joined by dashes, lexicographically ordered by age. */
const BOOKMARK = /^[0-9A-Za-z-]{1,256}$/;

/** Parses the header; throws a 400 problem for a value no response of ours could carry. */
export function parseBookmarkHeader(value: string | undefined): RequestedFreshness {
  if (value === undefined) return null;
  const v = value.trim();
  if (v === "first-primary" || v === "first-unconstrained") return { constraint: v };
  const sep = v.indexOf(":");
  const shard = v.slice(0, sep);
  const bookmark = v.slice(sep + 1);
  if (sep < 0 || !SHARD.test(shard) || !BOOKMARK.test(bookmark)) {
    throw badRequest(
      `Invalid ${BOOKMARK_HEADER}: send back the value of a previous response's ${BOOKMARK_HEADER} header, or first-unconstrained / first-primary`,
    );
  }
  return { shard, bookmark };
}

/** Reads `x-d1-bookmark`, then puts the request's newest bookmark on the response. */
export const d1Bookmarks: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("d1", { requested: parseBookmarkHeader(c.req.header(BOOKMARK_HEADER)) });
  await next();
  const state = c.get("d1");
  const shard = state.session?.shard.name ?? state.written?.shard;
  if (!shard) return;
  const fromSession = state.session?.session.getBookmark();
  const fromWrite = state.written?.shard === shard ? state.written.bookmark : null;
  const bookmark = newerBookmark(fromSession, fromWrite);
  if (!bookmark) return;
  try {
    c.res.headers.set(BOOKMARK_HEADER, `${shard}:${bookmark}`);
  } catch {
    // A response with immutable headers (a WebSocket upgrade) touched no D1.
  }
};

/**
 * The request's D1 session on `projectId`'s shard, as a database for drizzle and the
 * query modules. Reads may come from a replica at least as fresh as the caller's
 * bookmark (the primary when the caller sent none); writes go to the primary.
 */
export function projectSession(c: Context<AppEnv>, projectId: string): D1Database {
  const state = c.get("d1");
  const shard = projectShard(c.env, projectId);
  if (!state.session) {
    state.session = { shard, session: shard.db.withSession(sessionStartingPoint(state.requested, shard.name)) };
  } else if (state.session.shard.name !== shard.name) {
    // Every route is scoped to one project, hence one shard (DESIGN §12).
    throw new Error("one request opened D1 sessions on two shards");
  }
  return sessionDatabase(state.session.session);
}

/** Records the bookmark of a write the job's object made for this request (its index row). */
export function recordWriteBookmark(c: Context<AppEnv>, projectId: string, bookmark: string | null | undefined): void {
  if (!bookmark) return;
  const shard = projectShard(c.env, projectId).name;
  const state = c.get("d1");
  const previous = state.written?.shard === shard ? state.written.bookmark : null;
  state.written = { shard, bookmark: newerBookmark(previous, bookmark)! };
}

/** Where a session on `shard` starts: the caller's bookmark for it, else primary first. */
export function sessionStartingPoint(requested: RequestedFreshness, shard: string): string {
  if (requested === null) return "first-primary";
  if ("constraint" in requested) return requested.constraint;
  return requested.shard === shard ? requested.bookmark : "first-primary";
}
