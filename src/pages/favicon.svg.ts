import type { APIRoute } from 'astro';
import { faviconSvg } from '../server/favicon.ts';
import { PUBLIC_CACHE_CONTROL } from '../server/http.ts';
import { loadV2Payload } from '../server/statuspage/respond.ts';

/** The page's icon, drawn for the overall status (src/server/favicon.ts). */
export const GET: APIRoute = async ({ request }) => {
  let indicator = 'none';
  let cacheControl = PUBLIC_CACHE_CONTROL;
  try {
    indicator = ((await loadV2Payload('status')) as { status: { indicator: string } }).status.indicator;
  } catch {
    // No database: the plain icon, not cached, rather than a broken one.
    cacheControl = 'no-store';
  }
  return new Response(request.method === 'HEAD' ? null : faviconSvg(indicator), {
    headers: {
      'content-type': 'image/svg+xml; charset=utf-8',
      'cache-control': cacheControl,
      'content-security-policy': "default-src 'none'",
    },
  });
};
export const HEAD = GET;
