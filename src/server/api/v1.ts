/**
 * The management API's HTTP side (`/api/v1`, README "Management API"), shared by every
 * route under src/pages/api/v1/: a route lists its methods and what each does, and this
 * module does the rest, the same way everywhere:
 * 1. an unsupported method: 405 with `Allow`; OPTIONS answers the `Allow` list;
 * 2. `Authorization: Bearer <token>`: 401 without a valid one (every role may read); 429 with
 *    `Retry-After` past VIGIE_API_RATE_LIMIT requests a minute for the token;
 * 3. path ids that cannot be ids: 404 without a query;
 * 4. POST and PATCH bodies: JSON objects of at most 64 KiB (400 for anything else, 413
 *    past the limit, whatever Content-Length claims);
 * 5. the handler calls a service, which checks the permission and the input (403, 422,
 *    404, 409), and every thrown error becomes `{"error": {"message", "fields"?}}`.
 * There are no cookies here, so no CSRF either: a forged request carries no token.
 */
import type { APIContext, APIRoute } from 'astro';
import type { Db } from '../../db/client.ts';
import { getApp } from '../app.ts';
import { authenticateBearer, type Principal } from '../auth/api-tokens.ts';
import { NotFoundError, ServiceError, TooManyRequestsError, ValidationError } from '../errors.ts';
import { hitRateLimit } from '../rate-limit.ts';
import { errorToJson, jsonError } from '../http.ts';
import { isId } from '../ids.ts';
import { authorize } from '../services.ts';
import { getSettings } from '../settings/queries.ts';
import type { Ctx } from '../statuspage/serialize.ts';
import { log } from '../log.ts';

/** The largest request body the API reads. */
export const MAX_BODY_BYTES = 64 * 1024;

export const V1_METHODS = ['GET', 'POST', 'PATCH', 'DELETE'] as const;
export type V1Method = (typeof V1_METHODS)[number];

/** What a handler gets: the caller, the checked ids, and the body both as sent and in camelCase. */
export type V1Request = {
  db: Db;
  principal: Principal;
  /** Path parameters; each looks like an id. */
  params: Record<string, string>;
  url: URL;
  /** The JSON body as sent (POST and PATCH; `{}` otherwise). */
  body: Record<string, unknown>;
  /**
   * The body with snake_case keys turned into the services' camelCase. Typed `any` on
   * purpose: it is unchecked JSON that goes straight to a service, whose zod schema
   * validates it and names the bad fields.
   */
  input: any;
  /** The `Idempotency-Key` header, if any. */
  idempotencyKey: string | undefined;
  /** What the serializers need (public base URL, page id); one query, so only on demand. */
  serializer(): Promise<Ctx>;
};

/** A handler's answer: a status (200 unless said) and a body to send as JSON (none for 204). */
export type V1Reply = { status: number; body?: unknown };
export type V1Handler = (request: V1Request) => Promise<V1Reply>;

export const ok = (body: unknown): V1Reply => ({ status: 200, body });
export const created = (body: unknown): V1Reply => ({ status: 201, body });
export const noContent = (): V1Reply => ({ status: 204 });

/** 400: the request cannot be read (not JSON, not an object, wrong content type). */
export class BadRequestError extends ServiceError {
  override readonly status = 400;
}

/** 413: the body is larger than MAX_BODY_BYTES. */
export class PayloadTooLargeError extends ServiceError {
  override readonly status = 413;
}

/** An API route: one `ALL` handler dispatching on the method. `methods` lists what it answers (tests read it). */
export type V1Route = APIRoute & { methods: V1Method[] };

/** Builds a route from its handlers; export it as `ALL` from the page file. */
export function v1Route(handlers: Partial<Record<V1Method, V1Handler>>): V1Route {
  const methods = V1_METHODS.filter((m) => handlers[m]);
  const allow = [...methods, ...(handlers.GET ? ['HEAD'] : []), 'OPTIONS'].join(', ');
  const route = async (context: APIContext): Promise<Response> => {
    const method = context.request.method.toUpperCase();
    if (method === 'OPTIONS')
      return new Response(null, { status: 204, headers: { allow, 'cache-control': 'no-store' } });
    const handler = handlers[(method === 'HEAD' ? 'GET' : method) as V1Method];
    if (!handler) {
      return jsonError(405, `${method} is not allowed on ${context.url.pathname}: use ${allow}.`, undefined, { allow });
    }
    try {
      const reply = await handler(await prepare(context, method));
      return respond(reply, method === 'HEAD');
    } catch (err) {
      if (!(err instanceof ServiceError)) log.error('request failed', { method, path: context.url.pathname, err });
      return errorToJson(err);
    }
  };
  return Object.assign(route, { methods });
}

async function prepare(context: APIContext, method: string): Promise<V1Request> {
  const { request } = context;
  const { db, config } = await getApp();
  const principal = await authenticateBearer(db, request.headers.get('authorization'));
  authorize(principal, 'internal:read');
  // Per token, counted in the database so every instance agrees (README, Management API).
  const hit = await hitRateLimit(db, `api:token:${principal.id}`, { limit: config.apiRateLimit, windowSeconds: 60 });
  if (!hit.allowed) {
    throw new TooManyRequestsError(
      hit.retryAfterSeconds,
      `Too many requests with this API token (at most ${config.apiRateLimit} a minute). Try again in ${hit.retryAfterSeconds} s.`,
    );
  }
  try {
    principal.ip = context.clientAddress;
  } catch {
    // No socket address (a test harness): the audit entry goes without one.
  }
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(context.params)) {
    if (!isId(value)) throw new NotFoundError(`Nothing here: ${context.url.pathname}`);
    params[name] = value;
  }
  const body = method === 'POST' || method === 'PATCH' ? await readJsonBody(request) : {};
  const key = request.headers.get('idempotency-key') ?? undefined;
  let ctx: Ctx | undefined;
  return {
    db,
    principal,
    params,
    url: context.url,
    body,
    input: fromApi(body),
    idempotencyKey: key,
    async serializer() {
      ctx ??= { siteUrl: config.siteUrl, pageId: (await getSettings(db)).pageId };
      return ctx;
    },
  };
}

function respond(reply: V1Reply, head: boolean): Response {
  const headers = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (reply.status === 204 || reply.body === undefined) return new Response(null, { status: reply.status, headers });
  return new Response(head ? null : JSON.stringify(reply.body), { status: reply.status, headers });
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** Reads a JSON object body of at most MAX_BODY_BYTES, counting the bytes actually sent. */
export async function readJsonBody(request: Request): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  if (!JSON_TYPE.test(request.headers.get('content-type') ?? '')) {
    throw new BadRequestError('Send the body as JSON, with "Content-Type: application/json".');
  }
  const bytes = await readLimited(request, MAX_BODY_BYTES);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new BadRequestError('The body is not valid UTF-8.');
  }
  if (!text.trim()) throw new BadRequestError('The body is empty: send a JSON object.');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`The body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequestError('The body must be a JSON object, like {"name": "…"}.');
  }
  return value as Record<string, unknown>;
}

async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const body = await readBodyUpTo(request, limit);
  if (body === null) throw tooLarge();
  return body;
}

/**
 * The request body, or null when it is longer than `limit` bytes: by its Content-Length, or
 * by counting what actually arrives (a chunked body has none), reading no further.
 */
export async function readBodyUpTo(request: Request, limit: number): Promise<Uint8Array | null> {
  if (Number(request.headers.get('content-length') ?? '0') > limit) return null;
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function tooLarge(): PayloadTooLargeError {
  return new PayloadTooLargeError(`The body is larger than ${MAX_BODY_BYTES / 1024} KiB.`);
}

/** `scheduled_for` → `scheduledFor`. */
export function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Objects whose own keys are field names too (as opposed to `components`, keyed by id). */
const NESTED_FIELDS = new Set(['impact_factors']);

/** Turns an API body's snake_case field names into the services' camelCase ones. */
export function fromApi(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const nested = NESTED_FIELDS.has(key) && typeof value === 'object' && value !== null && !Array.isArray(value);
    out[camelCase(key)] = nested ? fromApi(value as Record<string, unknown>) : value;
  }
  return out;
}

/** `?page=` and `?per_page=` (1-based; at most 100 a page). */
export function pagination(url: URL, defaultPerPage = 50): { page: number; perPage: number } {
  const read = (name: string, fallback: number, max: number) => {
    const raw = url.searchParams.get(name);
    if (raw === null || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      throw new ValidationError(`${name} must be a whole number from 1 to ${max}`, {
        [name]: `Must be a whole number from 1 to ${max}`,
      });
    }
    return n;
  };
  return { page: read('page', 1, 100_000), perPage: read('per_page', defaultPerPage, 100) };
}
