/**
 * The server's logs over a real session (src/server/log.ts): every line is JSON, lines
 * written while handling a request carry its id (echoed in X-Request-Id), and none holds a
 * secret: the password, the session cookie, the API token, the subscriber tokens in confirm
 * and manage links, or a webhook secret, at the most talkative level (debug: one line per
 * request). A second server with another VIGIE_SECRET_KEY reports the unreadable webhook
 * secret in its logs and on the admin page, without a 500.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { openDatabase, queryRows } from '../../src/db/client.ts';
import { settings, webhooks } from '../../src/db/schema/index.ts';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { getSettings } from '../../src/server/settings/queries.ts';
import { createApiToken, createUser } from '../../src/server/users/service.ts';
import { createBrowser } from '../helpers/browser.ts';
import { usingPostgres } from '../helpers/db.ts';
import { linkToken, readSink } from '../helpers/mail.ts';
import { startScenarioServer, startServer, type TestServer } from '../helpers/server.ts';

const SITE = 'https://status.example.com';
const PASSWORD = 'logs-test-password-4711';
const OTHER_KEY = Buffer.alloc(32, 3).toString('base64');

type Line = { time: string; level: string; msg: string; requestId?: string; [k: string]: unknown };

/** Secrets as a release before encryption at rest stored them: in plaintext. */
const LEGACY_WEBHOOK_SECRET = 'bGVnYWN5LXBsYWludGV4dC13ZWJob29rLXNlY3JldC0x';
const LEGACY_SIGNING_SECRET = 'bGVnYWN5LXBsYWludGV4dC1zaWduaW5nLXNlY3JldC0y';
const LEGACY_WEBHOOK_ID = 'legacyhook01';

let app: Awaited<ReturnType<typeof startScenarioServer<{ apiToken: string }>>>;
let server: TestServer;
let mailDir: string | undefined;
const secrets: Record<string, string> = { password: PASSWORD };
let webhookId = '';
let sessionCookie = '';

/** Every line of a server's output, parsed; a line that is not JSON fails the test. */
function parse(output: string): Line[] {
  return output
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      let line: Line;
      try {
        line = JSON.parse(l) as Line;
      } catch {
        throw new Error(`not a JSON log line: ${l}`);
      }
      expect(new Date(line.time).toISOString()).toBe(line.time);
      expect(['debug', 'info', 'warn', 'error']).toContain(line.level);
      expect(typeof line.msg).toBe('string');
      return line;
    });
}

beforeAll(async () => {
  mailDir = usingPostgres ? mkdtempSync(path.join(tmpdir(), 'vigie-logs-')) : undefined;
  app = await startScenarioServer(
    { SITE_URL: SITE, VIGIE_LOG_LEVEL: 'debug', ...(mailDir ? { VIGIE_DATA_DIR: mailDir } : {}) },
    {
      async prepare(db) {
        await createUser(db, SYSTEM_ACTOR, { email: 'admin@example.com', role: 'admin', password: PASSWORD });
        await db.insert(webhooks).values({
          id: LEGACY_WEBHOOK_ID,
          name: 'From an older release',
          url: 'https://hooks.example.com/old',
          format: 'signed',
          events: ['incident.created'],
          secret: LEGACY_WEBHOOK_SECRET,
        });
        await getSettings(db);
        await db.update(settings).set({ signingSecret: LEGACY_SIGNING_SECRET }).where(eq(settings.id, 1));
        return { apiToken: (await createApiToken(db, SYSTEM_ACTOR, { name: 'ci', role: 'admin' })).token };
      },
    },
  );
  server = app.server;
  secrets.apiToken = app.prepared.apiToken;
});

afterAll(async () => {
  await app?.stop();
  if (mailDir) rmSync(mailDir, { recursive: true, force: true });
});

describe('logs', () => {
  it('hold no secret through sign-in, the API, a subscription and a webhook, and every line is JSON', async () => {
    const b = createBrowser(server.url);
    const signedIn = await b.signIn('admin@example.com', PASSWORD);
    expect(signedIn.status).toBe(303);
    sessionCookie = b.cookies.get('vigie_session')!;
    expect(sessionCookie).toBeTruthy();
    secrets.session = sessionCookie;
    // A failed sign-in logs nothing of the password either.
    await createBrowser(server.url).signIn('admin@example.com', `${PASSWORD}-wrong`);
    secrets.wrongPassword = `${PASSWORD}-wrong`;

    await b.get('/admin/webhooks'); // the session's CSRF token
    const made = await b.post('/admin/webhooks', {
      name: 'Logged hook',
      url: 'https://hooks.example.com/in',
      format: 'signed',
      events: 'incident.created',
      enabled: 'on',
    });
    expect(made.status).toBe(303);
    webhookId = /\/admin\/webhooks\/([a-z0-9]+)/.exec(made.location!)![1];
    const page = await b.get(made.location!);
    secrets.webhook = /id="webhook-secret"[^>]*>\s*([^<\s]+)/.exec(page.text)![1];
    const rotated = await b.post(`/admin/webhooks/${webhookId}`, { action: 'rotate' });
    expect(rotated.status).toBe(303);
    const after = await b.get(rotated.location!);
    secrets.rotatedWebhook = /id="webhook-secret"[^>]*>\s*([^<\s]+)/.exec(after.text)![1];
    expect(secrets.rotatedWebhook).not.toBe(secrets.webhook);

    // The plaintext secret from an older release, sealed at start, still reads the same.
    const legacy = await b.get(`/admin/webhooks/${LEGACY_WEBHOOK_ID}`);
    expect(/id="webhook-secret"[^>]*>\s*([^<\s]+)/.exec(legacy.text)?.[1]).toBe(LEGACY_WEBHOOK_SECRET);
    secrets.legacyWebhook = LEGACY_WEBHOOK_SECRET;
    secrets.legacySigning = LEGACY_SIGNING_SECRET;

    const auth = { authorization: `Bearer ${secrets.apiToken}` };
    expect((await fetch(`${server.url}/api/v1/components`, { headers: auth })).status).toBe(200);
    const bad = await fetch(`${server.url}/api/v1/incidents`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(bad.status).toBe(400);

    const sent = await fetch(`${server.url}/subscribe`, {
      method: 'POST',
      body: new URLSearchParams({ email: 'logs@example.com' }),
      headers: { origin: server.url },
    });
    expect(sent.status).toBe(200);
    const mail = readSink(app.env.VIGIE_DATA_DIR!).find((m) => m.headers.to === 'logs@example.com')!;
    const confirm = linkToken(mail.text, `${SITE}/subscribe/confirm`);
    secrets.confirmToken = confirm;
    expect((await fetch(`${server.url}/subscribe/confirm?token=${confirm}`)).status).toBe(200);
    const confirmed = await fetch(`${server.url}/subscribe/confirm?token=${confirm}`, {
      method: 'POST',
      headers: { origin: server.url },
    });
    const manage = linkToken(await confirmed.text(), '/unsubscribe');
    secrets.manageToken = manage;
    expect((await fetch(`${server.url}/unsubscribe?token=${manage}`)).status).toBe(200);

    await new Promise((r) => setTimeout(r, 200));
    const output = server.output();
    const lines = parse(output);
    for (const [name, value] of Object.entries(secrets)) {
      expect(value.length, name).toBeGreaterThan(10);
      expect(output.includes(value), `${name} leaked into the logs`).toBe(false);
    }
    // The debug access log saw the token-carrying URLs, with the tokens cut.
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.length).toBeGreaterThan(8);
    for (const r of requests) expect(r.requestId).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
    expect(requests.map((r) => r.path)).toContain('/subscribe/confirm?token=[redacted]');
    expect(requests.map((r) => r.path)).toContain('/unsubscribe?token=[redacted]');
  });

  it('takes a sane X-Request-Id, replaces a bad one, and echoes it', async () => {
    const kept = await fetch(`${server.url}/admin/login`, { headers: { 'x-request-id': 'trace.42_A-b' } });
    expect(kept.headers.get('x-request-id')).toBe('trace.42_A-b');
    const replaced = await fetch(`${server.url}/admin/login`, { headers: { 'x-request-id': `${'x'.repeat(65)}` } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const fresh = await fetch(`${server.url}/admin/login`);
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(fresh.headers.get('x-request-id')).not.toBe(replaced.headers.get('x-request-id'));
    await new Promise((r) => setTimeout(r, 100));
    const lines = parse(server.output());
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', requestId: 'trace.42_A-b' }));
    // Answers from the snapshot skip ids (the hot path); they never replay the render's.
    const home = await fetch(`${server.url}/`);
    expect(home.headers.get('x-vigie-snapshot')).toBe('fresh');
    expect(home.headers.get('x-request-id')).toBeNull();
  });

  it('with another key: the admin page says the secret cannot be decrypted, and the log says why, by request', async () => {
    await server.stop();
    // Meanwhile, the raw rows: the start sealed the plaintext ones, and none holds a secret in clear.
    const h = await openDatabase({ databaseUrl: app.env.DATABASE_URL, dataDir: app.env.VIGIE_DATA_DIR });
    try {
      const rows = await queryRows<{ id: string; secret: string }>(h.db, sql`select id, secret from webhooks`);
      expect(rows.map((r) => r.id).sort()).toEqual([LEGACY_WEBHOOK_ID, webhookId].sort());
      for (const r of rows) expect(r.secret).toMatch(/^v1:/);
      const [signing] = await queryRows<{ s: string }>(h.db, sql`select signing_secret as s from settings`);
      expect(signing.s).toMatch(/^v1:/);
      const raw = JSON.stringify({ rows, signing });
      for (const value of [LEGACY_WEBHOOK_SECRET, LEGACY_SIGNING_SECRET, secrets.rotatedWebhook]) {
        expect(raw).not.toContain(value);
      }
    } finally {
      await h.close();
    }
    const other = await startServer({ ...app.env, VIGIE_SECRET_KEY: OTHER_KEY });
    try {
      const b = createBrowser(other.url);
      b.cookies.set('vigie_session', sessionCookie);
      const page = await b.get(`/admin/webhooks/${webhookId}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('cannot be decrypted with this server’s key');
      expect(page.text).not.toContain('id="webhook-secret"');
      const requestId = page.res.headers.get('x-request-id');
      await new Promise((r) => setTimeout(r, 100));
      const lines = parse(other.output());
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          requestId,
          webhookId,
          msg: expect.stringMatching(/cannot be decrypted with this server's key: VIGIE_SECRET_KEY/),
        }),
      );
      // The start-up pass reported it too, before any request.
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 'error', unreadable: expect.arrayContaining([`webhook:${webhookId}`]) }),
      );
    } finally {
      await other.stop();
    }
  });
});
