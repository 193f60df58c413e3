import type { APIRoute } from 'astro';

/** Liveness: 200 while the process runs, without touching the database. */
export const GET: APIRoute = () =>
  new Response('ok\n', { headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });
export const HEAD = GET;
