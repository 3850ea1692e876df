/**
 * A failure of a pipeline stage. `code` is a stable machine-readable name
 * (`PDF_ENCRYPTED`, `PDF_CORRUPT`, `UNSUPPORTED_TYPE`, ...); `permanent` says
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
