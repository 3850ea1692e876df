/**
 * The platform's floor under edge-ingest's hot paths (bench/platform-floor.mjs):
 *   GET  /health  a constant reply;
 *   GET  /read    one Durable Object RPC returning a 1 KB record (what GET one job must
 *                 at least do: the job's state lives in its object);
 *   POST /create  the body into R2 under a fresh key, then one new Durable Object that
 *                 writes one SQLite row (what a create must at least do: the source in R2,
 *                 the job in its own new object);
 *   POST /create-contract  /create plus what the API contract adds to every create,
 *                 after the reply as the service does it: one row in a D1 index (one
 *                 secondary index, for the project's newest-first list), one event
 *                 appended to a per-project object's log, and the event sent to a queue
 *                 (whose consumer only acknowledges it);
 *   PUT  /source/{key}  stores a source in R2 (set-up, not measured);
 *   POST /job/{key}     what a job must at least do with that source, in its own new
 *                 object: read it in 1 MiB ranges, write a text of the same size and a
 *                 chunk table (52 bytes per 1,000 characters) beside it, each object as
 *                 the service must write it (one put up to 5 MiB, 5 MiB multipart parts
 *                 above: R2's smallest part). Replies with the object's own time.
 * No auth, no validation, no rate limits, no events, no index, no parsing.
 */
import { DurableObject } from "cloudflare:workers";

interface Env {
  OBJ: DurableObjectNamespace<Obj>;
  HUB: DurableObjectNamespace<Hub>;
  BUCKET: R2Bucket;
  DB: D1Database;
  EVENTS: Queue<string>;
}

const RECORD = { id: "x".repeat(36), status: "QUEUED", note: "y".repeat(900) };
/** The service's source range per slice and R2's smallest multipart part. */
const RANGE_BYTES = 1 << 20;
const PART_BYTES = 5 << 20;
/** The chunk table's record size and the service's default chunk size (chars). */
const RECORD_BYTES = 52;
const CHUNK_CHARS = 1000;

export class Obj extends DurableObject<Env> {
  read(): typeof RECORD {
    return RECORD;
  }

  create(record: string): number {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS job (k INTEGER PRIMARY KEY, data TEXT NOT NULL)");
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO job (k, data) VALUES (1, ?)", record);
    return 1;
  }

  /** Reads `key` in ranges and writes its text and chunk table; returns the milliseconds taken. */
  async job(key: string, size: number): Promise<{ ms: number; parts: number }> {
    const t0 = Date.now();
    const bucket = this.env.BUCKET;
    const text = new ObjectWriter(bucket, `documents/${key}.txt`, size);
    for (let offset = 0; offset < size; offset += RANGE_BYTES) {
      const obj = await bucket.get(key, { range: { offset, length: Math.min(RANGE_BYTES, size - offset) } });
      if (!obj) throw new Error(`no source ${key}`);
      await text.write(new Uint8Array(await obj.arrayBuffer()));
    }
    const tableBytes = Math.ceil(size / CHUNK_CHARS) * RECORD_BYTES;
    const table = new ObjectWriter(bucket, `documents/${key}.chunks`, tableBytes);
    await table.write(new Uint8Array(tableBytes).fill(7));
    return { ms: Date.now() - t0, parts: text.parts + table.parts };
  }
}

/** A project's event log: one row appended per event. */
export class Hub extends DurableObject<Env> {
  append(frame: string): number {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, frame TEXT NOT NULL)");
    return this.ctx.storage.sql.exec("INSERT INTO log (frame) VALUES (?) RETURNING seq", frame).one().seq as number;
  }
}

/** The index table, created once per isolate (a migration, for the service). */
let indexReady: Promise<unknown> | null = null;
function indexTable(db: D1Database): Promise<unknown> {
  indexReady ??= db.batch([
    db.prepare(
      "CREATE TABLE IF NOT EXISTS jobs (project_id TEXT NOT NULL, id TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (project_id, id))",
    ),
    db.prepare("CREATE INDEX IF NOT EXISTS jobs_project_created ON jobs (project_id, created_at, id)"),
  ]);
  // A failed set-up is not kept: every later create would skip its index row without a word.
  indexReady.catch(() => {
    indexReady = null;
  });
  return indexReady;
}

/** What a create adds after its reply: the index row, the event in the project's log, the queue. */
async function afterCreate(env: Env, id: string, record: string): Promise<void> {
  await indexTable(env.DB);
  const at = new Date().toISOString();
  const frame = JSON.stringify({ type: "job.created", jobId: id, projectId: "floor", at });
  await Promise.all([
    env.DB.prepare("INSERT INTO jobs (project_id, id, status, created_at, data) VALUES ('floor', ?, 'QUEUED', ?, ?)").bind(id, at, record).run(),
    env.HUB.get(env.HUB.idFromName("floor")).append(frame),
    env.EVENTS.send(frame, { contentType: "json" }),
  ]);
}

/** Writes an object of known size from pieces: one put if it fits a part, else 5 MiB parts. */
class ObjectWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private written = 0;
  private upload: R2MultipartUpload | null = null;
  private readonly uploaded: R2UploadedPart[] = [];

  constructor(
    private readonly bucket: R2Bucket,
    private readonly key: string,
    private readonly size: number,
  ) {}

  get parts(): number {
    return Math.max(1, this.uploaded.length);
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    while (this.pendingBytes >= PART_BYTES || (this.pendingBytes > 0 && this.written + this.pendingBytes >= this.size)) {
      const part = this.take(Math.min(PART_BYTES, this.pendingBytes));
      const last = this.written + part.length >= this.size;
      if (last && this.written === 0) {
        await this.bucket.put(this.key, part);
      } else {
        this.upload ??= await this.bucket.createMultipartUpload(this.key);
        this.uploaded.push(await this.upload.uploadPart(this.uploaded.length + 1, part));
        if (last) await this.upload.complete(this.uploaded);
      }
      this.written += part.length;
    }
  }

  private take(n: number): Uint8Array {
    const all = new Uint8Array(this.pendingBytes);
    let at = 0;
    for (const p of this.pending) {
      all.set(p, at);
      at += p.length;
    }
    this.pending = n < all.length ? [all.subarray(n)] : [];
    this.pendingBytes = all.length - n;
    return all.subarray(0, n);
  }
}

export default {
  async fetch(req: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (path === "/health") return Response.json({ status: "ok" });
    if (path === "/read") return Response.json(await env.OBJ.get(env.OBJ.idFromName("one")).read());
    if (path === "/create" && req.method === "POST") {
      const id = env.OBJ.newUniqueId();
      await env.BUCKET.put(`sources/${id.toString()}`, await req.arrayBuffer());
      await env.OBJ.get(id).create(JSON.stringify({ ...RECORD, id: id.toString() }));
      return Response.json({ id: id.toString() }, { status: 201 });
    }
    if (path === "/create-contract" && req.method === "POST") {
      const id = env.OBJ.newUniqueId();
      const record = JSON.stringify({ ...RECORD, id: id.toString() });
      await env.BUCKET.put(`sources/${id.toString()}`, await req.arrayBuffer());
      await env.OBJ.get(id).create(record);
      ctx.waitUntil(afterCreate(env, id.toString(), record));
      return Response.json({ id: id.toString() }, { status: 201 });
    }
    const source = /^\/source\/([\w.-]+)$/.exec(path)?.[1];
    if (source && req.method === "PUT") {
      const stored = await env.BUCKET.put(`sources/${source}`, req.body, { httpMetadata: { contentType: "application/octet-stream" } });
      return Response.json({ size: stored?.size ?? 0 }, { status: 201 });
    }
    const job = /^\/job\/([\w.-]+)$/.exec(path)?.[1];
    if (job && req.method === "POST") {
      const head = await env.BUCKET.head(`sources/${job}`);
      if (!head) return new Response("no such source", { status: 404 });
      return Response.json(await env.OBJ.get(env.OBJ.newUniqueId()).job(`sources/${job}`, head.size));
    }
    return new Response("not found", { status: 404 });
  },
  async queue(batch: MessageBatch<string>): Promise<void> {
    batch.ackAll();
  },
} satisfies ExportedHandler<Env, string>;
