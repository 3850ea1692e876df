/**
 * The platform's floor under edge-ingest's hot paths (bench/platform-floor.mjs):
 *   GET  /health  a constant reply;
 *   GET  /read    one Durable Object RPC returning a 1 KB record (what GET one job must
 *                 at least do: the job's state lives in its object);
 *   POST /create  the body into R2 under a fresh key, then one new Durable Object that
 *                 writes one SQLite row (what a create must at least do: the source in R2,
 *                 the job in its own new object).
 * No auth, no validation, no rate limits, no events, no index.
 */
import { DurableObject } from "cloudflare:workers";

interface Env {
  OBJ: DurableObjectNamespace<Obj>;
  BUCKET: R2Bucket;
}

const RECORD = { id: "x".repeat(36), status: "QUEUED", note: "y".repeat(900) };

export class Obj extends DurableObject<Env> {
  read(): typeof RECORD {
    return RECORD;
  }

  create(record: string): number {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS job (k INTEGER PRIMARY KEY, data TEXT NOT NULL)");
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO job (k, data) VALUES (1, ?)", record);
    return 1;
  }
}

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (path === "/health") return Response.json({ status: "ok" });
    if (path === "/read") return Response.json(await env.OBJ.get(env.OBJ.idFromName("one")).read());
    if (path === "/create" && req.method === "POST") {
      const id = env.OBJ.newUniqueId();
      await env.BUCKET.put(`sources/${id.toString()}`, await req.arrayBuffer());
      await env.OBJ.get(id).create(JSON.stringify({ ...RECORD, id: id.toString() }));
      return Response.json({ id: id.toString() }, { status: 201 });
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<Env>;
