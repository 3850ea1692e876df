/** `edge-ingest docs list|get|text|chunks|delete`. */
import { Command } from "commander";
import type { Document } from "../client/node";
import { action, client, globals, positiveInt, requireProject } from "./context";
import { age, printJson, table } from "./print";

const DOC_HEADER = ["ID", "TITLE", "CHARS", "CHUNKS", "LANG", "DUPLICATE OF", "AGE"];
const docRow = (d: Document) => [d.id, d.title, String(d.characterCount), String(d.chunkCount), d.language ?? "", d.duplicateOf ?? "", age(d.createdAt)];

export function docsCommand(): Command {
  const docs = new Command("docs").description("read and delete the documents completed jobs produced");

  docs
    .command("list")
    .description("the project's documents, newest first")
    .option("--content-hash <sha256>", "only documents with this text hash")
    .option("--language <code>", "only this language")
    .option("--duplicate-of <documentId>", "only near-duplicates of this document")
    .option("--limit <n>", "documents per page (1-100)", positiveInt("--limit"))
    .option("--all", "every page")
    .option("--json", "JSON (one document per line with --all)")
    .action(
      action(async (o: { contentHash?: string; language?: string; duplicateOf?: string; limit?: number; all?: boolean; json?: boolean }, cmd: Command) => {
        const g = globals(cmd);
        const api = await client(g);
        const filters = { projectId: requireProject(g), contentHash: o.contentHash, language: o.language, duplicateOf: o.duplicateOf, limit: o.limit };
        if (o.all) {
          const rows: string[][] = [];
          for await (const d of api.documents.iterate(filters)) {
            if (o.json) process.stdout.write(`${JSON.stringify(d)}\n`);
            else rows.push(docRow(d));
          }
          if (!o.json) process.stdout.write(`${table(DOC_HEADER, rows)}\n`);
          return;
        }
        const page = await api.documents.list(filters);
        if (o.json) return printJson(page);
        process.stdout.write(`${table(DOC_HEADER, page.items.map(docRow))}\n`);
        if (page.nextCursor) process.stdout.write("more: --all\n");
      }),
    );

  docs
    .command("get <documentId>")
    .description("one document's metadata, as JSON")
    .action(
      action(async (id: string, _o: unknown, cmd: Command) => {
        const g = globals(cmd);
        printJson(await (await client(g)).documents.get(id, { projectId: requireProject(g) }));
      }),
    );

  docs
    .command("text <documentId>")
    .description("the extracted text, streamed to stdout")
    .action(
      action(async (id: string, _o: unknown, cmd: Command) => {
        const g = globals(cmd);
        const stream = await (await client(g)).documents.textStream(id, { projectId: requireProject(g) });
        for await (const chunk of stream) process.stdout.write(chunk);
      }),
    );

  docs
    .command("chunks <documentId>")
    .description("every chunk, in order")
    .option("--jsonl", "one JSON chunk per line")
    .action(
      action(async (id: string, o: { jsonl?: boolean }, cmd: Command) => {
        const g = globals(cmd);
        for await (const c of (await client(g)).documents.iterateChunks(id, { projectId: requireProject(g), limit: 100 })) {
          if (o.jsonl) process.stdout.write(`${JSON.stringify(c)}\n`);
          else process.stdout.write(`--- chunk ${c.ordinal} [${c.charStart}, ${c.charEnd})${c.page !== null ? ` page ${c.page}` : ""}\n${c.text}\n`);
        }
      }),
    );

  docs
    .command("delete <documentId>")
    .description("delete a document's text and chunks")
    .action(
      action(async (id: string, _o: unknown, cmd: Command) => {
        const g = globals(cmd);
        await (await client(g)).documents.delete(id, { projectId: requireProject(g) });
        process.stdout.write(`deleted ${id}\n`);
      }),
    );

  return docs;
}
