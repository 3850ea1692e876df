/**
 * Where a project's rows live in D1. Every D1 query is project-scoped, so each one goes
 * through `projectDb` with its project id and touches exactly one database.
 *
 * Today there is one database (`DB`); DESIGN §12 shards by a stable hash of the project
 * id across several bindings, which changes only this module.
 */
import type { Env } from "../env";

/** The D1 database that holds `projectId`'s rows. */
export function projectDb(env: Env, projectId: string): D1Database {
  void projectId;
  return env.DB;
}
