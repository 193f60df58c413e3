import type { APIRoute } from 'astro';
import { serveV2, v2Preflight } from '../../../../server/statuspage/respond.ts';

/** Statuspage v2 scheduled-maintenances/active.json: maintenances in progress or verifying. */
export const GET: APIRoute = ({ request }) => serveV2(request, 'scheduled-maintenances/active');
export const HEAD = GET;
export const OPTIONS: APIRoute = ({ request }) => v2Preflight(request);
