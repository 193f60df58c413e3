import type { APIRoute } from 'astro';
import { serveV2, v2Preflight } from '../../../server/statuspage/respond.ts';

/** Statuspage v2 components.json: every public component, groups included (`group: true`). */
export const GET: APIRoute = ({ request }) => serveV2(request, 'components');
export const HEAD = GET;
export const OPTIONS: APIRoute = ({ request }) => v2Preflight(request);
