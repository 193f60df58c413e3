/**
 * Resend's webhooks (bounces, complaints, suppressions): `POST /api/v1/hooks/resend`.
 * Authenticated by the Standard Webhooks signature made with RESEND_WEBHOOK_SECRET, not by a
 * bearer token, so it is not a v1Route; it keeps the API's error shape and its 405 answers.
 * The middleware lets it through: /api is exempt from the Origin and CSRF checks.
 */
import type { APIContext } from 'astro';
import { readBodyUpTo, type V1Method, type V1Route } from '../../../../server/api/v1.ts';
import { getApp } from '../../../../server/app.ts';
import { errorToJson, jsonError } from '../../../../server/http.ts';
import { handleResendWebhook } from '../../../../server/subscribers/suppression.ts';
import { log } from '../../../../server/log.ts';

/** Resend's email events are a few KiB; anything near this is not one of them. */
const MAX_WEBHOOK_BYTES = 256 * 1024;

const METHODS: V1Method[] = ['POST'];
const ALLOW = 'POST, OPTIONS';

async function route({ request, url }: APIContext): Promise<Response> {
  const method = request.method.toUpperCase();
  if (method === 'OPTIONS')
    return new Response(null, { status: 204, headers: { allow: ALLOW, 'cache-control': 'no-store' } });
  if (method !== 'POST')
    return jsonError(405, `${method} is not allowed on ${url.pathname}: use POST.`, undefined, { allow: ALLOW });
  try {
    const { db, config } = await getApp();
    const secret = config.resendWebhookSecret;
    if (!secret) return jsonError(404, 'Resend webhooks are not configured: set RESEND_WEBHOOK_SECRET.');
    const body = await readBodyUpTo(request, MAX_WEBHOOK_BYTES);
    if (body === null) return jsonError(413, `The body is larger than ${MAX_WEBHOOK_BYTES / 1024} KiB.`);
    const rawBody = Buffer.from(body).toString('utf8');
    const reply = await handleResendWebhook(db, { rawBody, headers: request.headers, secret });
    return new Response(JSON.stringify(reply.body), {
      status: reply.status,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  } catch (err) {
    log.error('request failed', { method: 'POST', path: url.pathname, err });
    return errorToJson(err);
  }
}

/** One handler for every method, with the `methods` list the API tests read. */
export const ALL: V1Route = Object.assign(route, { methods: METHODS });
