/**
 * Errors people are meant to read, each with a code. The code alone decides the HTTP status and how a
 * form shows it (the one table below), so no caller compares message strings.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  busy: 409,
  not_active: 409,
  too_large: 413,
  unsupported_media_type: 415,
  invalid: 422,
  not_confirmed: 422,
  upstream: 502,
  failed: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class SafekeepError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (message: string) => new SafekeepError("not_found", message);
export const invalid = (message: string) => new SafekeepError("invalid", message);
