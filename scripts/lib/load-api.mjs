/**
 * The API calls of `scripts/load-reshard.mjs`: creates with an Idempotency-Key, deletes,
 * and the checks that compare every project's job and document lists with what the load
 * made. Every call is retried while the server is down or restarting (`url()` is the
 * server's address at the time of the call).
 */
const FINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** A call that finds no server for this long gives up (a restart takes tens of seconds here). */
const GIVE_UP_MS = 5 * 60_000;

/** A small Markdown document, the same for the same key (a re-sent key must send the same bytes). */
export function documentFor(key) {
  const paragraph = `The load with a reshard wrote this paragraph for ${key}. `.repeat(12);
  return `# ${key}\n\n${paragraph}\n\n## Second part\n\n${paragraph}\n`;
}

export function apiClient(url, token) {
  const auth = { Authorization: `Bearer ${token}` };

  /**
   * `fetch` on the current server, retried with backoff on a refused connection, a 5xx, a
   * 409 (a create with the same key still in flight) or a 429, up to GIVE_UP_MS.
   */
  async function call(path, init = {}) {
    const deadline = Date.now() + GIVE_UP_MS;
    let retries = 0;
    for (;;) {
      try {
        if (url()) {
          const res = await fetch(`${url()}${path}`, { ...init, headers: { ...auth, ...init.headers } });
          // The body is read here too: a server stopped mid-answer cuts it off.
          const text = await res.text();
          if (res.status < 500 && res.status !== 409 && res.status !== 429) return { status: res.status, text, retries };
        }
      } catch {
        // the server is down or restarting
      }
      if (Date.now() > deadline) throw new Error(`${init.method ?? "GET"} ${path}: no answer for ${GIVE_UP_MS} ms`);
      retries++;
      await sleep(Math.min(2_000, 100 * 2 ** Math.min(retries, 5)));
    }
  }

  async function json(path) {
    const { status, text } = await call(path);
    if (status !== 200) throw new Error(`GET ${path}: ${status} ${text}`);
    return JSON.parse(text);
  }

  async function all(path) {
    const items = [];
    let cursor = null;
    do {
      const q = new URLSearchParams({ limit: "100", ...(cursor ? { cursor } : {}) });
      const page = await json(`${path}?${q}`);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  /** Lost, duplicated and extra ids of one listing against the expected set. */
  function compare(ids, expected) {
    const seen = new Set(ids);
    return {
      lost: [...expected].filter((id) => !seen.has(id)).length,
      duplicated: ids.length - seen.size,
      extra: [...seen].filter((id) => !expected.has(id)).length,
    };
  }

  function sum(parts, expected, listed) {
    const total = { listed, expected, lost: 0, duplicated: 0, extra: 0 };
    for (const p of parts) for (const k of ["lost", "duplicated", "extra"]) total[k] += p[k];
    total.ok = total.lost === 0 && total.duplicated === 0 && total.extra === 0;
    return total;
  }

  return {
    /** Creates `task`'s job with its key; returns the job and the retries it took. */
    async create(task) {
      const q = new URLSearchParams({ filename: `${task.key}.md` });
      const { status, text, retries } = await call(`/api/projects/${task.project}/ingest/jobs?${q}`, {
        method: "POST",
        headers: { "Content-Type": "text/markdown", "Idempotency-Key": task.key },
        body: documentFor(task.key),
      });
      if (status !== 201 && status !== 200) throw new Error(`create ${task.key}: ${status} ${text}`);
      return { job: JSON.parse(text), retries };
    },

    /** The job as its object has it, or null when it is not there (deleted). */
    async job(task) {
      const { status, text } = await call(`/api/projects/${task.project}/ingest/jobs/${task.job.id}`);
      return status === 200 ? JSON.parse(text) : null;
    },

    async deleteDocument(project, documentId) {
      const { status, text } = await call(`/api/projects/${project}/documents/${documentId}`, { method: "DELETE" });
      // 404: a first attempt deleted it and its answer was lost in a restart.
      if (status !== 204 && status !== 404) throw new Error(`delete document ${documentId}: ${status} ${text}`);
    },

    async deleteJob(project, jobId) {
      const { status, text } = await call(`/api/projects/${project}/ingest/jobs/${jobId}`, { method: "DELETE" });
      if (status !== 204 && status !== 404) throw new Error(`delete job ${jobId}: ${status} ${text}`);
    },

    /** Every project's job list (all pages) against `expected` (project → Set of job ids). */
    async compareLists(projects, expected) {
      const parts = [];
      const documentOf = new Map();
      let listed = 0;
      let unfinished = 0;
      for (const p of projects) {
        const items = await all(`/api/projects/${p}/ingest/jobs`);
        listed += items.length;
        for (const j of items) {
          if (!FINAL.has(j.status)) unfinished++;
          if (j.canonicalDocumentId) documentOf.set(j.id, j.canonicalDocumentId);
        }
        parts.push(
          compare(
            items.map((j) => j.id),
            expected.get(p),
          ),
        );
      }
      const expectedCount = [...expected.values()].reduce((n, s) => n + s.size, 0);
      return { ...sum(parts, expectedCount, listed), unfinished, documentOf };
    },

    /** Every project's document list (all pages) against `expected` (project → Set of document ids). */
    async compareDocuments(projects, expected) {
      const parts = [];
      let listed = 0;
      for (const p of projects) {
        const items = await all(`/api/projects/${p}/documents`);
        listed += items.length;
        parts.push(
          compare(
            items.map((d) => d.id),
            expected.get(p),
          ),
        );
      }
      return sum(
        parts,
        [...expected.values()].reduce((n, s) => n + s.size, 0),
        listed,
      );
    },

    /** Re-sends each task's create with its key: how many answered with the original job. */
    async replay(tasks) {
      let same = 0;
      const wrong = [];
      for (const task of tasks) {
        const { job } = await this.create(task);
        if (job.id === task.job.id) same++;
        else wrong.push({ key: task.key, original: task.job.id, answered: job.id });
      }
      if (wrong.length) console.log(`re-sent keys answered with another job: ${JSON.stringify(wrong.slice(0, 5))}`);
      return { same, wrong };
    },
  };
}
