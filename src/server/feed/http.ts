/**
 * The HTTP side of the feeds: headers, conditional requests, 404 for a component that is not
 * public and 503 when the database is down, so the route files stay one call long.
 */
import { createHash } from 'node:crypto';
import { getApp } from '../app.ts';
import { isDatabaseUnavailable, PUBLIC_CACHE_CONTROL } from '../http.ts';
import { renderPublicFeed } from './service.ts';

const CONTENT_TYPE = 'application/rss+xml; charset=utf-8';
const CACHE_CONTROL = PUBLIC_CACHE_CONTROL;

/** GET/HEAD /feed.rss. */
export function pageFeedResponse(request: Request): Promise<Response> {
  return feedResponse(request, undefined);
}

/** GET/HEAD /components/{id}/feed.rss; 404 unless the component exists and is public. */
export function componentFeedResponse(request: Request, componentId: string | undefined): Promise<Response> {
  return feedResponse(request, componentId ?? '');
}

async function feedResponse(request: Request, componentId: string | undefined): Promise<Response> {
  let xml: string | null;
  try {
    const app = await getApp();
    xml = await renderPublicFeed(app.db, { siteUrl: app.config.siteUrl, componentId });
  } catch (err) {
    if (!isDatabaseUnavailable(err)) throw err;
    return text(503, 'The status feed is temporarily unavailable. Try again in a minute.\n', { 'retry-after': '30' });
  }
  if (xml === null) return text(404, 'No public component has this id.\n');

  // Feed readers poll; an unchanged feed costs them a 304 instead of the whole document.
  const etag = `"${createHash('sha256').update(xml).digest('base64url').slice(0, 27)}"`;
  const headers = { 'content-type': CONTENT_TYPE, 'cache-control': CACHE_CONTROL, etag };
  if (matchesEtag(request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers });
  return new Response(request.method === 'HEAD' ? null : xml, { status: 200, headers });
}

function matchesEtag(header: string | null, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}
