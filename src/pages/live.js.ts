import type { APIRoute } from 'astro';
import { PUBLIC_CACHE_CONTROL } from '../server/http.ts';
import script from '../server/status-page/live.client.js?raw';

/**
 * The public page's only script, which keeps an open / current (src/server/status-page/
 * live.client.js). Served from the snapshot, so the static mirror has it too.
 */
export const GET: APIRoute = ({ request }) =>
  new Response(request.method === 'HEAD' ? null : script, {
    headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': PUBLIC_CACHE_CONTROL },
  });
export const HEAD = GET;
