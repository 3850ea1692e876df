/**
 * Every R2 key the service writes, in one place (workers-oauth-provider keeps its
 * storage keys the same way). Routes, the slice runner and the document store all
 * build keys here, so a layout change is one edit.
 */

/** The uploaded source file of a job. */
export function sourceKey(job: { projectId: string; id: string }): string {
  return `sources/${job.projectId}/${job.id}`;
}

/** A canonical document's extracted text (UTF-8). */
export function textKey(projectId: string, documentId: string): string {
  return `documents/${projectId}/${documentId}.txt`;
}

/** A canonical document's chunk table: fixed-width records (see `documents/chunk-table.ts`). */
export function chunkTableKey(projectId: string, documentId: string): string {
  return `documents/${projectId}/${documentId}.chunks`;
}

/** Everything a document consists of in R2. */
export function documentKeys(projectId: string, documentId: string): string[] {
  return [textKey(projectId, documentId), chunkTableKey(projectId, documentId)];
}
