/**
 * Typed service errors, mapped to HTTP in one place (src/server/http.ts). Services throw
 * these; routes never build error statuses by hand.
 */
export class ServiceError extends Error {
  readonly status: number = 500;
}

export class NotFoundError extends ServiceError {
  override readonly status = 404;
}

export class ConflictError extends ServiceError {
  override readonly status = 409;
}

/** Too many requests from one place, token or address: 429 with `Retry-After`. */
export class TooManyRequestsError extends ServiceError {
  override readonly status = 429;
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, message: string) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Bad input: `fields` maps a field name to a message a person understands. */
export class ValidationError extends ServiceError {
  override readonly status = 422;
  readonly fields: Record<string, string>;
  constructor(message: string, fields: Record<string, string> = {}) {
    super(message);
    this.fields = fields;
  }
}
