import type { APIRoute } from 'astro';
import { serveV2, v2Preflight } from '../../../server/statuspage/respond.ts';

/** Statuspage v2 status.json: the overall status indicator and description. */
export const GET: APIRoute = ({ request }) => serveV2(request, 'status');
export const HEAD = GET;
export const OPTIONS: APIRoute = ({ request }) => v2Preflight(request);
