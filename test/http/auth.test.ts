/**
 * Staff sign-in over HTTP: redirects, cookie flags, CSRF, rotation, sign-out, throttling
 * without user enumeration, and a password change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/server/users/service.ts';
import { createBrowser } from '../helpers/browser.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'correct-horse-battery';
let t: TestDatabase;
let server: TestServer;
let secure: TestServer;

beforeAll(async () => {
  t = await createTestDatabase({ onDisk: true });
  const actor = { type: 'system' as const, name: 'test' };
  for (const role of ['viewer', 'responder', 'comms', 'admin']) {
    await createUser(t.handle.db, actor, { email: `${role}@example.com`, role, password: PASSWORD });
  }
  await t.close();
  server = await startServer(t.env);
});
afterAll(async () => {
  await server?.stop();
  await t?.drop();
});

describe('staff sign-in', () => {
  it('sends signed-out people from staff pages to the login form, keeping where they were going', async () => {
    for (const path of ['/admin', '/admin/account', '/internal']) {
      const b = createBrowser(server.url);
      const r = await b.get(path);
      expect(r.status, path).toBe(303);
      expect(r.location).toBe(`/admin/login?next=${encodeURIComponent(path)}`);
      expect(r.res.headers.get('cache-control')).toBe('private, no-store');
    }
  });

  it('signs in, with an HttpOnly SameSite=Lax session cookie, and lands where asked', async () => {
    const b = createBrowser(server.url);
    await b.get('/admin/login?next=/admin/account');
    const r = await b.post('/admin/login', { email: 'Comms@Example.com ', password: PASSWORD, next: '/admin/account' });
    expect(r.status).toBe(303);
    expect(r.location).toBe('/admin/account');
    const cookie = r.res.headers.getSetCookie().find((c) => c.startsWith('vigie_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/);
    const account = await b.get('/admin/account');
    expect(account.status).toBe(200);
    expect(account.text).toContain('comms@example.com');
  });

  it('never redirects off-site after sign-in', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example', '/\\evil.example']) {
      const b = createBrowser(server.url);
      await b.get('/admin/login');
      const r = await b.post('/admin/login', { email: 'viewer@example.com', password: PASSWORD, next });
      expect(r.location, next).toBe('/admin');
    }
  });

  it('answers a wrong password with one message for known and unknown accounts, keeping the email', async () => {
    const b = createBrowser(server.url);
    await b.get('/admin/login');
    const known = await b.post('/admin/login', { email: 'admin@example.com', password: 'wrong-password-1' });
    const unknown = await b.post('/admin/login', { email: 'nobody@example.com', password: 'wrong-password-1' });
    expect(known.status).toBe(400);
    expect(unknown.status).toBe(400);
    const message = (html: string) => /role="alert"[^>]*>([^<]*)</.exec(html)?.[1];
    expect(message(known.text)).toBe('The email address or the password is not right.');
    expect(message(unknown.text)).toBe(message(known.text));
    expect(known.text).toContain('value="admin@example.com"');
  });

  it('refuses a login POST without the CSRF token, or with another browser’s', async () => {
    const b = createBrowser(server.url);
    await b.get('/admin/login');
    expect((await b.post('/admin/login', { email: 'admin@example.com', password: PASSWORD, _csrf: null })).status).toBe(
      403,
    );
    expect(
      (await b.post('/admin/login', { email: 'admin@example.com', password: PASSWORD, _csrf: 'forged' })).status,
    ).toBe(403);
    expect(b.cookies.has('vigie_session')).toBe(false);
  });

  it('refuses a form posted from another site, even with a valid token', async () => {
    const b = createBrowser(server.url);
    await b.get('/admin/login');
    const r = await b.post(
      '/admin/login',
      { email: 'admin@example.com', password: PASSWORD },
      { origin: 'https://evil.example' },
    );
    expect(r.status).toBe(403);
    expect(b.cookies.has('vigie_session')).toBe(false);
  });

  it('refuses every signed-in POST without a valid CSRF token', async () => {
    const b = createBrowser(server.url);
    await b.signIn('admin@example.com', PASSWORD);
    for (const path of ['/admin/account', '/admin/logout']) {
      expect((await b.post(path, { _csrf: null })).status, path).toBe(403);
      expect((await b.post(path, { _csrf: 'x'.repeat(43) })).status, path).toBe(403);
    }
    // Still signed in: the refused sign-out did nothing.
    expect((await b.get('/admin')).status).toBe(200);
  });

  it('rotates the session at sign-in: the old token stops working', async () => {
    const b = createBrowser(server.url);
    await b.signIn('responder@example.com', PASSWORD);
    const first = b.cookies.get('vigie_session')!;
    // Signed in already (the login page would send us on): post the form again, with this session's token.
    await b.get('/admin');
    const again = await b.post('/admin/login', { email: 'responder@example.com', password: PASSWORD });
    expect(again.status).toBe(303);
    const second = b.cookies.get('vigie_session')!;
    expect(second).not.toBe(first);
    const stale = createBrowser(server.url);
    stale.cookies.set('vigie_session', first);
    expect((await stale.get('/admin')).status).toBe(303);
  });

  it('signs out: the session is deleted, not only the cookie', async () => {
    const b = createBrowser(server.url);
    await b.signIn('viewer@example.com', PASSWORD);
    const token = b.cookies.get('vigie_session')!;
    await b.get('/admin');
    const out = await b.post('/admin/logout', {});
    expect(out.status).toBe(303);
    expect(b.cookies.has('vigie_session')).toBe(false);
    const replay = createBrowser(server.url);
    replay.cookies.set('vigie_session', token);
    expect((await replay.get('/admin')).status).toBe(303);
  });

  it('throttles guessing per account, with the same answer for unknown accounts', async () => {
    for (const email of ['admin@example.com', 'ghost@example.com']) {
      const b = createBrowser(server.url);
      await b.get('/admin/login');
      const statuses = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await b.post('/admin/login', { email, password: `guess-${i}-wrong` })).status);
      expect(statuses, email).toEqual([400, 400, 400, 400, 400, 429]);
      const blocked = await b.post('/admin/login', { email, password: PASSWORD });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(blocked.text).toMatch(/Too many sign-in attempts\. Try again in \d+ minutes?\./);
    }
  });

  it('changes a password, keeps this session and ends the others', async () => {
    const here = createBrowser(server.url);
    const elsewhere = createBrowser(server.url);
    await here.signIn('comms@example.com', PASSWORD);
    await elsewhere.signIn('comms@example.com', PASSWORD);
    await here.get('/admin/account');
    const bad = await here.post('/admin/account', { current: PASSWORD, password: 'short', confirm: 'short' });
    expect(bad.status).toBe(422);
    expect(bad.text).toMatch(/at least 12 characters/);
    const ok = await here.post('/admin/account', {
      current: PASSWORD,
      password: 'a-new-long-password',
      confirm: 'a-new-long-password',
    });
    expect(ok.status).toBe(200);
    expect((await here.get('/admin')).status).toBe(200);
    expect((await elsewhere.get('/admin')).status).toBe(303);
    const again = createBrowser(server.url);
    expect((await again.signIn('comms@example.com', 'a-new-long-password')).status).toBe(303);
  });
});

describe('on https', () => {
  let https: TestDatabase;
  afterAll(async () => {
    await secure?.stop();
    await https?.drop();
  });

  it('marks the session cookie Secure when SITE_URL is https', async () => {
    https = await createTestDatabase({ onDisk: true });
    await createUser(
      https.handle.db,
      { type: 'system' },
      { email: 'viewer@example.com', role: 'viewer', password: PASSWORD },
    );
    await https.close();
    secure = await startServer({ ...https.env, SITE_URL: 'https://status.example.com' });
    const b = createBrowser(secure.url);
    const r = await b.signIn('viewer@example.com', PASSWORD);
    expect(r.status).toBe(303);
    const cookie = r.res.headers.getSetCookie().find((c) => c.startsWith('vigie_session='))!;
    expect(cookie).toMatch(/; Secure/);
  });
});
