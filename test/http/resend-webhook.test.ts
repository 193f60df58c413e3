/**
 * `POST /api/v1/hooks/resend` on the built server: Resend's signed events suppress
 * subscribers, anything unsigned or stale is refused, and bad input never gets a 500.
 * Events are signed with the `standardwebhooks` package, as Resend (through Svix) signs them.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribers } from '../../src/db/schema/index.ts';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { hashSecret, newId, newSecret } from '../../src/server/ids.ts';
import { createApiToken } from '../../src/server/users/service.ts';
import { startScenarioServer } from '../helpers/server.ts';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const hook = new Webhook(SECRET);
const PATH = '/api/v1/hooks/resend';
const PEOPLE = ['bounced', 'transient', 'complained', 'forged', 'stale', 'unknown'] as const;
const emailOf = (who: string) => `${who}@example.org`;

type App = Awaited<ReturnType<typeof start>>;
const start = (env: Record<string, string> = { RESEND_WEBHOOK_SECRET: SECRET }) =>
  startScenarioServer(env, {
    async prepare(db) {
      await db.insert(subscribers).values(
        PEOPLE.map((who) => ({
          id: newId(),
          email: emailOf(who),
          confirmedAt: new Date(),
          manageTokenHash: hashSecret(newSecret()),
        })),
      );
      return (await createApiToken(db, SYSTEM_ACTOR, { name: 'test', role: 'admin' })).token;
    },
  });

let app: App;
beforeAll(async () => {
  app = await start();
});
afterAll(() => app?.stop());

/** Resend's headers for `body`, signed `ageSeconds` ago (with another secret if told). */
function signed(body: string, { ageSeconds = 0, key = hook } = {}): Record<string, string> {
  const id = `msg_${newId()}`;
  const at = new Date(Date.now() - ageSeconds * 1000);
  return {
    'svix-id': id,
    'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
    'svix-signature': key.sign(id, at, body),
  };
}

async function post(body: BodyInit, headers: Record<string, string>, server = app) {
  const res = await fetch(server.server.url + PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'Svix-Webhooks/1.0', ...headers },
    body,
    // A stream body (no Content-Length) needs it.
    ...(typeof body === 'string' ? {} : { duplex: 'half' }),
  } as RequestInit);
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Checked by the caller.
  }
  return { status: res.status, json, text, headers: res.headers };
}

const deliver = (body: string) => post(body, signed(body));

const event = (type: string, data: Record<string, unknown>) =>
  JSON.stringify({
    type,
    created_at: new Date().toISOString(),
    data: {
      created_at: new Date().toISOString(),
      email_id: newId(),
      from: 'Vigie <status@example.com>',
      subject: 'Investigating: CDN outage',
      ...data,
    },
  });

const bounce = (who: string, type: string, subType = 'General') =>
  event('email.bounced', { to: [emailOf(who)], bounce: { type, subType, message: '550 5.1.1 No such user' } });

/** A subscriber as the management API shows it. */
async function stateOf(
  who: string,
): Promise<{ state: string; suppressed_at: string | null; suppression_reason: string | null }> {
  const res = await fetch(`${app.server.url}/api/v1/subscribers?search=${encodeURIComponent(emailOf(who))}`, {
    headers: { authorization: `Bearer ${app.prepared}` },
  });
  const json = (await res.json()) as { subscribers: any[] };
  expect(json.subscribers).toHaveLength(1);
  return json.subscribers[0];
}

function expectError(res: { status: number; json: any; text: string }, status: number, message: RegExp) {
  expect(res.status, res.text).toBe(status);
  expect(res.json, res.text).toEqual({ error: { message: expect.stringMatching(message) } });
}

describe('POST /api/v1/hooks/resend', () => {
  it('suppresses a hard bounce, and answers the same event again the same way', async () => {
    const body = bounce('bounced', 'Permanent');
    const headers = signed(body);
    const res = await post(body, headers);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.json).toEqual({
      received: true,
      type: 'email.bounced',
      action: 'suppressed',
      reason: 'Bounced (Permanent/General): 550 5.1.1 No such user',
    });
    const after = await stateOf('bounced');
    expect(after).toMatchObject({
      state: 'suppressed',
      suppression_reason: 'Bounced (Permanent/General): 550 5.1.1 No such user',
    });
    // Resend retries: same answer, nothing moves.
    const again = await post(body, headers);
    expect(again.json).toEqual(res.json);
    expect(await stateOf('bounced')).toEqual(after);
  });

  it('does not suppress on a transient bounce', async () => {
    const res = await deliver(bounce('transient', 'Transient', 'MailboxFull'));
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ action: 'ignored' });
    expect(await stateOf('transient')).toMatchObject({ state: 'confirmed', suppressed_at: null });
  });

  it('suppresses on a spam complaint, whatever Origin the request claims', async () => {
    const body = event('email.complained', { to: [emailOf('complained')] });
    const res = await post(body, { ...signed(body), origin: 'https://resend.com' });
    expect(res.status, res.text).toBe(200);
    expect(await stateOf('complained')).toMatchObject({ state: 'suppressed', suppression_reason: 'Marked as spam' });
  });

  it('refuses a bad signature with 401 and changes nothing', async () => {
    const body = bounce('forged', 'Permanent');
    const other = new Webhook(`whsec_${randomBytes(24).toString('base64')}`);
    expectError(await post(body, signed(body, { key: other })), 401, /signature does not match/);
    expectError(await post(body, {}), 401, /Missing the svix-id/);
    // A real signature over another body.
    expectError(await post(body, signed(bounce('forged', 'Transient'))), 401, /does not match/);
    expect(await stateOf('forged')).toMatchObject({ state: 'confirmed', suppressed_at: null });
  });

  it('refuses a signature older than five minutes with 401', async () => {
    const body = bounce('stale', 'Permanent');
    expectError(await post(body, signed(body, { ageSeconds: 6 * 60 })), 401, /more than 5 minutes old/);
    expect(await stateOf('stale')).toMatchObject({ state: 'confirmed' });
  });

  it('acknowledges events it does not act on with 200', async () => {
    for (const type of ['email.delivered', 'email.opened', 'contact.created']) {
      const res = await deliver(event(type, { to: [emailOf('unknown')] }));
      expect(res.status, res.text).toBe(200);
      expect(res.json).toMatchObject({ received: true, type, action: 'ignored' });
    }
    expect(await stateOf('unknown')).toMatchObject({ state: 'confirmed' });
  });

  it('answers 400 to signed JSON that does not parse, or is not an event', async () => {
    expectError(await deliver('{"type": "email.bounced", "data": '), 400, /not valid JSON/);
    expectError(await deliver('[1, 2]'), 400, /not a Resend event/);
  });

  it('answers 413 past 256 KiB, with or without Content-Length', async () => {
    const huge = JSON.stringify({ type: 'email.delivered', data: { padding: 'x'.repeat(300 * 1024) } });
    expectError(await post(huge, signed(huge)), 413, /larger than 256 KiB/);
    const chunks = [huge.slice(0, 100_000), huge.slice(100_000, 200_000), huge.slice(200_000)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    expectError(await post(stream, signed(huge)), 413, /larger than 256 KiB/);
  });

  it('answers 405 with Allow to other methods', async () => {
    const res = await fetch(app.server.url + PATH);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
    expect(await res.json()).toEqual({ error: { message: expect.stringMatching(/use POST/) } });
  });
});

describe('without RESEND_WEBHOOK_SECRET', () => {
  let bare: App;
  beforeAll(async () => {
    bare = await start({});
  });
  afterAll(() => bare?.stop());

  it('answers 404 saying how to turn it on', async () => {
    const body = bounce('bounced', 'Permanent');
    expectError(await post(body, signed(body), bare), 404, /set RESEND_WEBHOOK_SECRET/);
  });
});
