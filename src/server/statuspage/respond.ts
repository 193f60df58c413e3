/**
 * The HTTP side of the v2 API, shared by the eight routes under src/pages/api/v2/: load the
 * public read model, serialize one endpoint, answer JSON with CORS (widgets fetch it
 * cross-origin) and answer HEAD with the same headers and no body.
 */
import { getApp } from '../app.ts';
import { isDatabaseUnavailable, PUBLIC_CACHE_CONTROL } from '../http.ts';
import { queryV2Payload } from './payload.ts';
import type { V2Endpoint, V2Payload } from './serialize.ts';
import { log } from '../log.ts';

const CORS_HEADERS: Record<string, string> = { 'access-control-allow-origin': '*' };

const JSON_TYPE = 'application/json; charset=utf-8';

/** Consumers poll these; 10 s keeps a burst of pollers off the database without hiding news for long. */
const CACHE_CONTROL = PUBLIC_CACHE_CONTROL;

/** The payload of one endpoint from the shared App, always for the public audience. */
export async function loadV2Payload(endpoint: V2Endpoint): Promise<V2Payload> {
  const { config, db } = await openApp();
  return queryV2Payload(db, config.siteUrl, endpoint);
}

/** Answers GET or HEAD for one v2 endpoint; errors become a JSON error without details. */
export async function serveV2(request: Request, endpoint: V2Endpoint): Promise<Response> {
  try {
    return v2Json(request, 200, await loadV2Payload(endpoint), { 'cache-control': CACHE_CONTROL });
  } catch (err) {
    log.error('request failed', { method: request.method, path: `/api/v2/${endpoint}.json`, err });
    const unavailable = err instanceof AppUnavailable || isDatabaseUnavailable(err);
    const message = unavailable
      ? 'The database is unavailable. Try again in a moment.'
      : 'Something went wrong on our side.';
    return v2Json(
      request,
      unavailable ? 503 : 500,
      { error: { message } },
      {
        'cache-control': 'no-store',
        ...(unavailable ? { 'retry-after': '5' } : {}),
      },
    );
  }
}

/** The CORS preflight answer: any origin may GET or HEAD the v2 API. */
export function v2Preflight(request: Request): Response {
  return new Response(null, {
    status: 204,
    headers: {
      ...CORS_HEADERS,
      'access-control-allow-methods': 'GET, HEAD, OPTIONS',
      // Echoed, because older browsers do not understand `*` here.
      'access-control-allow-headers': request.headers.get('access-control-request-headers') ?? 'Content-Type',
      'access-control-max-age': '86400',
      'cache-control': 'public, max-age=86400',
      vary: 'access-control-request-headers',
    },
  });
}

/** A JSON response with the v2 headers; HEAD gets the same status and headers, no body. */
export function v2Json(
  request: Request,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(request.method === 'HEAD' ? null : JSON.stringify(body), {
    status,
    headers: { ...CORS_HEADERS, 'content-type': JSON_TYPE, ...headers },
  });
}

/** Opening the app failed: the database could not be opened or migrated, so there is nothing to serve. */
class AppUnavailable extends Error {}

async function openApp() {
  try {
    return await getApp();
  } catch (err) {
    throw new AppUnavailable('The application could not open its database', { cause: err });
  }
}
