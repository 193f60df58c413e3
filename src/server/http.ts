/**
 * HTTP helpers shared by routes: the one place where service errors become statuses.
 */
import { ServiceError, TooManyRequestsError, ValidationError } from './errors.ts';

/**
 * Caching of every public surface, live or from the snapshot: a CDN or proxy keeps it 10 s,
 * serves it stale for 30 s while it fetches a fresh one, and for a day when Vigie cannot
 * answer at all (README "Serving a traffic spike").
 */
export const PUBLIC_CACHE_CONTROL = 'public, max-age=10, stale-while-revalidate=30, stale-if-error=86400';

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

/** True when an error (or its causes) says the database cannot be reached, as opposed to a bug. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
    if (e instanceof AggregateError && e.errors.some(isDatabaseUnavailable)) return true;
  }
  return false;
}

/**
 * PostgreSQL rolled the transaction back because it collided with another one (a deadlock, or
 * a serialization failure): nothing was saved, and the same request will very likely pass if
 * sent again. A 503 with a short Retry-After says exactly that, where a 500 would say "bug".
 */
const CONFLICT_CODES = new Set(['40001', '40P01']);

export function isTransientConflict(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONFLICT_CODES.has(code)) return true;
  }
  return false;
}

/** The management API's error shape: `{ error: { message, fields? } }`. */
export function jsonError(
  status: number,
  message: string,
  fields?: Record<string, string>,
  headers?: HeadersInit,
): Response {
  return new Response(JSON.stringify({ error: fields ? { message, fields } : { message } }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

/** Maps a thrown error to a JSON error response; unknown errors become a 500 without details. */
export function errorToJson(err: unknown): Response {
  if (err instanceof ValidationError) return jsonError(422, err.message, err.fields);
  if (err instanceof TooManyRequestsError)
    return jsonError(429, err.message, undefined, { 'retry-after': String(err.retryAfterSeconds) });
  if (err instanceof ServiceError) return jsonError(err.status, err.message);
  if (isDatabaseUnavailable(err))
    return jsonError(503, 'The database is unavailable. Try again in a moment.', undefined, { 'retry-after': '5' });
  if (isTransientConflict(err))
    return jsonError(503, 'This change collided with another one and was not saved. Send it again.', undefined, {
      'retry-after': '1',
    });
  return jsonError(500, 'Something went wrong on our side.');
}
