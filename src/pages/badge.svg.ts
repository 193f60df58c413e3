import type { APIRoute } from 'astro';
import { componentBadge, overallBadge, renderBadge, UNKNOWN_BADGE, type Badge } from '../server/badge.ts';
import { PUBLIC_CACHE_CONTROL } from '../server/http.ts';
import { loadV2Payload } from '../server/statuspage/respond.ts';
import type { V2Component } from '../server/statuspage/serialize.ts';
import { log } from '../server/log.ts';

/**
 * The status badge for READMEs and other sites: `/badge.svg` (the overall status) and
 * `/badge.svg?component={id}` (one public component). An internal or unknown id answers the
 * same 404, so the badge never tells that an internal component exists.
 */
export const GET: APIRoute = async ({ request, url }) => {
  const ids = url.searchParams.getAll('component');
  if (ids.length > 1 || (ids.length === 1 && !/^[A-Za-z0-9_-]{1,100}$/.test(ids[0]))) {
    return svg(request, 400, { label: 'status', message: 'bad component id', tone: 'unknown' }, 'no-store');
  }
  let payload;
  try {
    payload = (await loadV2Payload('summary')) as {
      components: V2Component[];
      status: { indicator: string; description: string };
    };
  } catch (err) {
    log.error('request failed', { method: 'GET', path: '/badge.svg', err });
    return svg(request, 503, { label: 'status', message: 'unavailable', tone: 'unknown' }, 'no-store');
  }
  if (ids.length === 0) return svg(request, 200, overallBadge(payload.status));
  const component = payload.components.find((c) => c.id === ids[0]);
  return component ? svg(request, 200, componentBadge(component)) : svg(request, 404, UNKNOWN_BADGE);
};
export const HEAD = GET;

function svg(request: Request, status: number, badge: Badge, cacheControl = PUBLIC_CACHE_CONTROL): Response {
  return new Response(request.method === 'HEAD' ? null : renderBadge(badge), {
    status,
    headers: {
      'content-type': 'image/svg+xml; charset=utf-8',
      'cache-control': cacheControl,
      'access-control-allow-origin': '*',
      // Other sites show it in an <img>; opened on its own it is a document with nothing to run.
      'cross-origin-resource-policy': 'cross-origin',
      'content-security-policy': "default-src 'none'",
    },
  });
}
