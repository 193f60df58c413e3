import type { APIRoute } from 'astro';
import { serveV2, v2Preflight } from '../../../../server/statuspage/respond.ts';

/** Statuspage v2 incidents/unresolved.json: incidents still investigating, identified or monitoring. */
export const GET: APIRoute = ({ request }) => serveV2(request, 'incidents/unresolved');
export const HEAD = GET;
export const OPTIONS: APIRoute = ({ request }) => v2Preflight(request);
