/**
 * The security headers as a browser receives them, from the snapshot and from live renders,
 * and the promise the CSP rests on: no page Vigie renders carries an inline script or an
 * inline event handler.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowser } from '../helpers/browser.ts';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { createUser } from '../../src/server/users/service.ts';
import { startScenarioServer } from '../helpers/server.ts';

const PASSWORD = 'correct-horse-battery';
let app: Awaited<ReturnType<typeof start>>;
const start = () =>
  startScenarioServer(
    {},
    {
      async prepare(db) {
        await createUser(db, SYSTEM_ACTOR, { email: 'admin@example.com', role: 'admin', password: PASSWORD });
      },
    },
  );
beforeAll(async () => {
  app = await start();
  // The snapshot's first build runs just after the server listens.
  const deadline = Date.now() + 15_000;
  while ((await fetch(app.server.url + '/')).headers.get('x-vigie-snapshot') !== 'fresh') {
    if (Date.now() > deadline) throw new Error('no snapshot of /');
    await new Promise((r) => setTimeout(r, 50));
  }
});
afterAll(() => app?.stop());

const INLINE_SCRIPT = /<script(?![^>]*\ssrc=)[^>]*>/i;
const INLINE_HANDLER = /<[^>]+\son[a-z]+\s*=/i;

describe('security headers', () => {
  it('public page from the snapshot: CSP without inline scripts, framable, nosniff', async () => {
    const res = await fetch(app.server.url + '/');
    expect(res.headers.get('x-vigie-snapshot')).toBe('fresh');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain('frame-ancestors *');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(res.headers.get('permissions-policy')).toContain('camera=()');
    expect(res.headers.get('strict-transport-security')).toBeNull(); // http site
  });

  it('subscribe and staff pages may not be framed', async () => {
    for (const p of ['/subscribe', '/admin/login']) {
      const res = await fetch(app.server.url + p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-security-policy'), p).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options'), p).toBe('DENY');
    }
  });

  it('no page carries an inline script or event handler', async () => {
    const b = createBrowser(app.server.url);
    const paths = [
      '/',
      '/history',
      `/incidents/${app.scenario.incidents.active.id}`,
      '/subscribe',
      '/no-such-page',
      '/admin/login',
    ];
    for (const p of paths) {
      const { text } = await b.get(p);
      expect(text, p).not.toMatch(INLINE_SCRIPT);
      expect(text, p).not.toMatch(INLINE_HANDLER);
    }
    await b.signIn('admin@example.com', PASSWORD);
    for (const p of [
      '/admin',
      '/admin/incidents/new',
      `/admin/incidents/${app.scenario.incidents.active.id}`,
      '/internal',
    ]) {
      const { status, text } = await b.get(p);
      expect(status, p).toBe(200);
      expect(text, p).not.toMatch(INLINE_SCRIPT);
      expect(text, p).not.toMatch(INLINE_HANDLER);
    }
  });
});

describe('HSTS', () => {
  it('is sent when SITE_URL is https', async () => {
    const https = await startScenarioServer({ SITE_URL: 'https://status.example.com' });
    try {
      const res = await fetch(https.server.url + '/');
      expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000');
    } finally {
      await https.stop();
    }
  });
});
