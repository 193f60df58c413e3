/**
 * Runs around every request: baseline security headers, and a readable answer instead of a
 * stack trace when something fails (503 when the database is unreachable).
 */
import { defineMiddleware } from 'astro:middleware';
import { errorToJson, isDatabaseUnavailable } from './server/http.ts';

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

export const onRequest = defineMiddleware(async (context, next) => {
  let response: Response;
  try {
    response = await next();
  } catch (err) {
    console.error(`${context.request.method} ${context.url.pathname} failed:`, err);
    response = context.url.pathname.startsWith('/api/') ? errorToJson(err) : errorPage(err);
  }
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (!response.headers.has(name)) response.headers.set(name, value);
  }
  return response;
});

function errorPage(err: unknown): Response {
  const unavailable = isDatabaseUnavailable(err);
  const title = unavailable ? 'Status temporarily unavailable' : 'Something went wrong';
  const text = unavailable
    ? 'This status page cannot reach its database right now. Please try again in a minute.'
    : 'An unexpected error happened while building this page. Please try again in a minute.';
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2937}</style></head><body><h1>${title}</h1><p>${text}</p></body></html>`;
  return new Response(html, {
    status: unavailable ? 503 : 500,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      ...(unavailable ? { 'retry-after': '30' } : {}),
    },
  });
}
