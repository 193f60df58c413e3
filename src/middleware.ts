/**
 * Runs around every request, in this order:
 * 0. request id: an incoming `X-Request-Id` (a short token) or a new one, on every log line
 *    written while the request is handled (src/server/log.ts) and echoed in the answer;
 * 1. errors and headers: the security headers (src/server/security-headers.ts: CSP, framing,
 *    HSTS…), and a readable answer instead of a
 *    stack trace when something fails (503 when the database is unreachable);
 * 2. session: on staff paths (/admin, /internal), reads the session cookie into
 *    `locals.user`, and gives every form its CSRF token (`locals.csrfToken`);
 * 3. CSRF: refuses a cross-site form (Origin check) and a state-changing browser request
 *    without a valid token;
 * 4. guard: staff paths need a signed-in user (the role checks live in the services);
 * 5. language: admin pages speak the reader's language (the `vigie_lang` cookie, then
 *    Accept-Language, then the page's locale), in `locals.lang` for their components and in
 *    `Content-Language`. The internal pages negotiate it themselves, like the public ones.
 * Public pages skip 2-4: they are the same for everyone and must stay cheap.
 */
import { randomUUID } from 'node:crypto';
import { defineMiddleware, sequence } from 'astro:middleware';
import { getApp } from './server/app.ts';
import {
  CSRF_COOKIE,
  csrfTokensMatch,
  isCrossSiteRequest,
  needsCsrfCheck,
  presentedCsrfToken,
} from './server/auth/csrf.ts';
import { SESSION_COOKIE, sessionCookieOptions, validateSession } from './server/auth/sessions.ts';
import { messages, requestLanguage, type MessageKey } from './i18n/index.ts';
import { errorToJson, isDatabaseUnavailable, isTransientConflict, jsonError } from './server/http.ts';
import { newSecret } from './server/ids.ts';
import { log, logs, saneRequestId, withRequestId } from './server/log.ts';
import { securityHeaders } from './server/security-headers.ts';
import { getSettings } from './server/settings/queries.ts';
import { defaultLanguageOf } from './server/status-page/view.ts';

// SITE_URL is read as config reads it; https turns HSTS on.
const HTTPS = (process.env.SITE_URL ?? '').trim().startsWith('https://');

/** Paths that belong to signed-in staff. */
export function isStaffPath(pathname: string): boolean {
  return /^\/(admin|internal)(\/|$)/.test(pathname);
}

const PUBLIC_STAFF_PATHS = new Set(['/admin/login', '/admin/logout']);

const requestId = defineMiddleware((context, next) => {
  const id = saneRequestId(context.request.headers.get('x-request-id')) ?? randomUUID();
  const started = performance.now();
  return withRequestId(id, async () => {
    let response = await next();
    try {
      response.headers.set('x-request-id', id);
    } catch {
      // A redirect's headers may be immutable: a copy takes the header.
      response = new Response(response.body, response);
      response.headers.set('x-request-id', id);
    }
    if (logs('debug')) {
      log.debug('request', {
        method: context.request.method,
        path: context.url.pathname + context.url.search,
        status: response.status,
        ms: Math.round(performance.now() - started),
      });
    }
    return response;
  });
});

const errorsAndHeaders = defineMiddleware(async (context, next) => {
  let response: Response;
  try {
    response = await next();
  } catch (err) {
    log.error('request failed', { method: context.request.method, path: context.url.pathname, err });
    response = context.url.pathname.startsWith('/api/') ? errorToJson(err) : errorPage(err, context.request);
  }
  for (const [name, value] of Object.entries(securityHeaders(context.url.pathname, { https: HTTPS }))) {
    if (!response.headers.has(name)) response.headers.set(name, value);
  }
  if (isStaffPath(context.url.pathname)) {
    // Staff pages carry internal data and per-person tokens: never stored by any cache.
    response.headers.set('cache-control', 'private, no-store');
  }
  return response;
});

/**
 * A NUL (`%00`) anywhere in the address: 400 at once. PostgreSQL text cannot hold it, so a
 * search or filter carrying one would otherwise fail at the query.
 */
const nulGuard = defineMiddleware((context, next) => {
  let decoded: string;
  try {
    decoded = decodeURIComponent(context.url.pathname + context.url.search);
  } catch {
    decoded = '';
  }
  if (!decoded.includes('\u0000')) return next();
  const message = 'The address contains a NUL character (%00). Remove it and try again.';
  if (context.url.pathname.startsWith('/api/')) return jsonError(400, message);
  return new Response(page('Bad request', message), {
    status: 400,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  });
});

const session = defineMiddleware(async (context, next) => {
  context.locals.user = null;
  context.locals.session = null;
  if (!isStaffPath(context.url.pathname)) return next();

  const { db, config } = await getApp();
  const token = context.cookies.get(SESSION_COOKIE)?.value;
  const current = await validateSession(db, token);
  if (current) {
    context.locals.session = current;
    context.locals.user = current.user;
    context.locals.csrfToken = current.csrfToken;
    // Sliding expiry: the cookie follows the session.
    context.cookies.set(SESSION_COOKIE, token!, sessionCookieOptions(config.siteUrl, current.expiresAt));
  } else {
    if (token) context.cookies.delete(SESSION_COOKIE, { path: '/' });
    let anonymous = context.cookies.get(CSRF_COOKIE)?.value;
    if (!anonymous || anonymous.length > 100) {
      anonymous = newSecret();
      context.cookies.set(CSRF_COOKIE, anonymous, {
        httpOnly: true,
        sameSite: 'lax',
        secure: config.siteUrl.startsWith('https://'),
        path: '/admin',
      });
    }
    context.locals.csrfToken = anonymous;
  }
  return next();
});

const csrf = defineMiddleware(async (context, next) => {
  // The refusals speak the reader's language as the headers say it (no database needed).
  const refusal = (title: MessageKey, text: MessageKey) => {
    const lang = requestLanguage(context.request);
    const t = messages(lang);
    return new Response(page(t(title), t(text), lang), {
      status: 403,
      headers: { 'content-type': 'text/html; charset=utf-8', 'content-language': lang },
    });
  };
  if (isCrossSiteRequest(context.request.method, context.url, context.request.headers.get('origin'))) {
    return refusal('refused.crossSiteTitle', 'refused.crossSiteText');
  }
  if (!needsCsrfCheck(context.request.method, context.url.pathname)) return next();
  const presented = await presentedCsrfToken(context.request);
  if (!csrfTokensMatch(presented, context.locals.csrfToken)) {
    return refusal('refused.expiredTitle', 'refused.expiredText');
  }
  return next();
});

const guard = defineMiddleware(async (context, next) => {
  const { pathname } = context.url;
  if (isStaffPath(pathname) && !PUBLIC_STAFF_PATHS.has(pathname) && !context.locals.user) {
    if (context.request.method !== 'GET') return new Response('Sign in first.\n', { status: 401 });
    const nextUrl = pathname + context.url.search;
    return context.redirect(`/admin/login?next=${encodeURIComponent(nextUrl)}`, 303);
  }
  return next();
});

const language = defineMiddleware(async (context, next) => {
  if (!/^\/admin(\/|$)/.test(context.url.pathname)) return next();
  const { db } = await getApp();
  const settings = await getSettings(db);
  const lang = requestLanguage(context.request, defaultLanguageOf(settings.locale));
  context.locals.lang = lang;
  const response = await next();
  // (Vary: Accept-Language, Cookie is set on every answer by errorsAndHeaders.)
  if (!response.headers.has('content-language')) response.headers.set('content-language', lang);
  return response;
});

export const onRequest = sequence(requestId, errorsAndHeaders, nulGuard, session, csrf, guard, language);

/** The page of an error no route handled, in the reader's language (from the headers alone: the database may be the problem). */
function errorPage(err: unknown, request: Request): Response {
  const unavailable = isDatabaseUnavailable(err);
  const conflict = !unavailable && isTransientConflict(err);
  const lang = requestLanguage(request);
  const t = messages(lang);
  const [title, text] = unavailable
    ? [t('error.unavailableTitle'), t('error.unavailableText')]
    : conflict
      ? [t('error.conflictTitle'), t('error.conflictText')]
      : [t('error.serverTitle'), t('error.serverText')];
  return new Response(page(title, text, lang), {
    status: unavailable || conflict ? 503 : 500,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-language': lang,
      'cache-control': 'no-store',
      ...(unavailable ? { 'retry-after': '30' } : conflict ? { 'retry-after': '1' } : {}),
    },
  });
}

/** A minimal page that needs nothing (no database, no layout) to render. */
function page(title: string, text: string, lang = 'en'): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2937}</style></head><body><h1>${title}</h1><p>${text}</p></body></html>`;
}
