import type { APIRoute } from 'astro';
import { pageFeedResponse } from '../server/feed/http.ts';

/** RSS 2.0 feed of every public incident and maintenance update. */
export const GET: APIRoute = ({ request }) => pageFeedResponse(request);
export const HEAD = GET;
