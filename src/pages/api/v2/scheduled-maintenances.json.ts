import type { APIRoute } from 'astro';
import { serveV2, v2Preflight } from '../../../server/statuspage/respond.ts';

/** Statuspage v2 scheduled-maintenances.json: the latest maintenances, newest first. */
export const GET: APIRoute = ({ request }) => serveV2(request, 'scheduled-maintenances');
export const HEAD = GET;
export const OPTIONS: APIRoute = ({ request }) => v2Preflight(request);
