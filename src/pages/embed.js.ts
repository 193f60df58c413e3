import type { APIRoute } from 'astro';
import { PUBLIC_CACHE_CONTROL } from '../server/http.ts';
import script from '../server/embed/embed.client.js?raw';

/** The embed other sites include to show a banner during an incident (src/server/embed/). */
export const GET: APIRoute = ({ request }) =>
  new Response(request.method === 'HEAD' ? null : script, {
    headers: {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': PUBLIC_CACHE_CONTROL,
      'access-control-allow-origin': '*',
      'cross-origin-resource-policy': 'cross-origin',
    },
  });
export const HEAD = GET;
