import type { APIRoute } from 'astro';
import { componentFeedResponse } from '../../../server/feed/http.ts';

/** RSS 2.0 feed of the public updates of incidents affecting one public component. */
export const GET: APIRoute = ({ request, params }) => componentFeedResponse(request, params.id);
export const HEAD = GET;
