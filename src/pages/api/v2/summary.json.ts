import type { APIRoute } from 'astro';
import { serveV2, v2Preflight } from '../../../server/statuspage/respond.ts';

/** Statuspage v2 summary.json: page, components, unresolved incidents, active and upcoming maintenances, overall status. */
export const GET: APIRoute = ({ request }) => serveV2(request, 'summary');
export const HEAD = GET;
export const OPTIONS: APIRoute = ({ request }) => v2Preflight(request);
