/**
 * A failure of a pipeline stage. `code` is a stable machine-readable name
 * (`PDF_ENCRYPTED`, `PDF_CORRUPT`, `UNSUPPORTED_TYPE`, `EMPTY_DOCUMENT`, ...); `permanent` says
 * whether retrying the slice can ever succeed (a permanent error fails the job
 * at once, a transient one is retried up to `STAGE_MAX_ATTEMPTS`).
 */
export class PipelineError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = "PipelineError";
  }
}

/**
 * The permanent failure of a source that yields no text at all (an image-only PDF, an
 * HTML app shell whose text a script would render): a document of 0 characters would
 * find nothing and only look like success.
 */
export function emptyDocument(source: "pdf" | "html" | "text"): PipelineError {
  const why =
    source === "pdf"
      ? "its pages have no text layer (an image-only or scanned PDF needs OCR first)"
      : source === "html"
        ? "the page has no text outside scripts and markup (an app shell renders its text with JavaScript; upload the rendered HTML)"
        : "the file is empty or only whitespace";
  return new PipelineError("EMPTY_DOCUMENT", `EMPTY_DOCUMENT: the source yields no text: ${why}`, true);
}
