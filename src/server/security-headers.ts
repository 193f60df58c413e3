/**
 * The security headers of every answer Vigie renders (src/middleware.ts sets them; the public
 * snapshot keeps them, since it stores the rendered headers).
 *
 * - Content-Security-Policy: scripts only from this origin (`script-src 'self'`: every script
 *   Vigie ships is a file, none inline, so no nonce or hash is needed and the cached snapshot
 *   stays the same bytes for everyone). Styles allow inline because Astro inlines small
 *   stylesheets and the page's accent colour is a style attribute; that cannot run code.
 *   Images may come from https (a logo hosted elsewhere) and data: URLs.
 * - frame-ancestors: the public pages (`/`, `/history`, `/incidents/…`) and the badge may be
 *   framed by any site (status widgets, dashboards); they hold no forms and nothing private.
 *   Everything else (subscribe forms, staff pages, admin) may not be framed at all, and also
 *   sends `X-Frame-Options: DENY` for older browsers.
 * - HSTS only when SITE_URL is https: a plain-http install (a laptop, a LAN) must stay reachable.
 */

/** Paths another site may put in a frame. */
export function mayBeFramed(pathname: string): boolean {
  return (
    pathname === '/' || pathname === '/history' || pathname === '/badge.svg' || /^\/incidents\/[^/]+$/.test(pathname)
  );
}

const BASE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' https: data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/** The headers for an answer at `pathname`; `https` when SITE_URL is https. */
export function securityHeaders(pathname: string, options: { https: boolean }): Record<string, string> {
  const framed = mayBeFramed(pathname);
  const headers: Record<string, string> = {
    'content-security-policy': `${BASE_POLICY}; frame-ancestors ${framed ? '*' : "'none'"}`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
    'cross-origin-opener-policy': 'same-origin',
  };
  if (!framed) headers['x-frame-options'] = 'DENY';
  if (options.https) headers['strict-transport-security'] = 'max-age=31536000';
  return headers;
}
