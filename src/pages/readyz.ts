import type { APIRoute } from 'astro';
import { ping } from '../db/client.ts';
import { getApp } from '../server/app.ts';

/** Readiness: 200 when the database answers, 503 otherwise. */
export const GET: APIRoute = async () => {
  const ok = await getApp()
    .then((app) => ping(app.db))
    .catch(() => false);
  return new Response(ok ? 'ready\n' : 'database unavailable\n', {
    status: ok ? 200 : 503,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
  });
};
export const HEAD = GET;
