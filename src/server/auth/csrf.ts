/**
 * CSRF protection for browser forms, on top of Astro's `security.checkOrigin`.
 * Signed-in people: a per-session secret (sessions.csrf_token) in every form.
 * Signed-out forms (the login form): a double-submit cookie holding a random token.
 * The token travels as the `_csrf` form field, or the `x-csrf-token` header for fetch().
 */
import { timingSafeEqual } from 'node:crypto';

export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_COOKIE = 'vigie_csrf';

/**
 * Paths whose state-changing requests carry no CSRF token, and why:
 * - /api/: bearer tokens only, never cookies, so a forged request has no credentials;
 * - /unsubscribe: RFC 8058 one-click unsubscribe comes from mailbox providers' servers,
 *   without cookies; the token in the URL is the credential;
 * - /subscribe: the public page is the same for everyone (and cached), so it cannot carry a
 *   per-visitor token; the worst a forged sign-up can do is send a confirmation email,
 *   which is rate-limited and needs a click to take effect.
 */
export const CSRF_EXEMPT_PREFIXES = ['/api', '/unsubscribe', '/subscribe'] as const;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a request must carry a valid CSRF token. */
export function needsCsrfCheck(method: string, pathname: string): boolean {
  if (SAFE_METHODS.has(method.toUpperCase())) return false;
  return !under(pathname, CSRF_EXEMPT_PREFIXES);
}

/**
 * Paths whose state-changing requests may come from another origin: the bearer-token API
 * (scripts send no Origin) and one-click unsubscribe (mailbox providers' servers).
 */
export const CROSS_ORIGIN_PREFIXES = ['/api', '/unsubscribe'] as const;

/**
 * The Origin check Astro's `checkOrigin` would do, with the exemptions above: a browser
 * always sends Origin on a POST, so a different one means a cross-site form.
 */
export function isCrossSiteRequest(method: string, url: URL, origin: string | null): boolean {
  if (SAFE_METHODS.has(method.toUpperCase())) return false;
  if (CROSS_ORIGIN_PREFIXES.some((p) => url.pathname === p.replace(/\/$/, '') || url.pathname.startsWith(p)))
    return false;
  return origin !== null && origin !== url.origin;
}

/** The token a request presents: header first, then the form field. */
export async function presentedCsrfToken(request: Request): Promise<string | null> {
  const header = request.headers.get(CSRF_HEADER);
  if (header) return header;
  const type = request.headers.get('content-type') ?? '';
  if (!type.includes('application/x-www-form-urlencoded') && !type.includes('multipart/form-data')) return null;
  try {
    const value = (await request.clone().formData()).get(CSRF_FIELD);
    return typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** Constant-time comparison of the presented and the expected token. */
export function csrfTokensMatch(presented: string | null, expected: string | null | undefined): boolean {
  if (!presented || !expected) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether a path is one of the prefixes or below one, segment-wise (`/api` covers `/api/v1`, not `/apiary`). */
function under(pathname: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}
