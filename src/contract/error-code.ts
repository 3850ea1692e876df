/**
 * The codes a job's `errors[].code` carries, and which failures a retry can mend. One
 * table: the pipeline throws these codes, the job's object refuses a retry by them, and
 * the SDK and dashboard offer a retry only where this says so. Plain constants, no zod.
 */

/** Why each code can or cannot be mended by running the failed slice again. */
export const ERROR_CODES = {
  TRANSIENT: { retryable: true, why: "a storage or runtime error that may not happen again" },
  SOURCE_UNAVAILABLE: { retryable: true, why: "the stored upload could not be read; storage may answer later" },
  LIMIT_EXCEEDED: { retryable: false, why: "the document exceeds a configured limit; the same file fails the same way" },
  PDF_CORRUPT: { retryable: false, why: "the file is damaged; upload a readable copy" },
  PDF_ENCRYPTED: { retryable: false, why: "the file is encrypted; upload a copy without a password" },
  UNSUPPORTED_TYPE: { retryable: false, why: "the file's type cannot be ingested" },
  EMPTY_DOCUMENT: { retryable: false, why: "the file yields no text; the same file yields none again" },
  STALLED: { retryable: true, why: "the job stopped moving without a fault in its input; a retry resumes from its last checkpoint" },
  INVALID_STATE: { retryable: false, why: "the job's saved progress does not lead to its stage" },
} as const satisfies Record<string, { retryable: boolean; why: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** True when a job that failed with `code` may be retried; codes this table does not know are not. */
export function isRetryableCode(code: string): boolean {
  return Object.hasOwn(ERROR_CODES, code) && ERROR_CODES[code as ErrorCode].retryable;
}

/** Why a failure with `code` cannot be retried (or can), for a refusal's detail. */
export function retryabilityReason(code: string): string {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode].why : "the failure's code is unknown to this service";
}
