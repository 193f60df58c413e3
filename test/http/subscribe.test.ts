import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usingPostgres } from '../helpers/db.ts';
import { linkToken, readSink } from '../helpers/mail.ts';
import { startScenarioServer, type TestServer } from '../helpers/server.ts';

const SITE = 'https://status.example.com';
let app: Awaited<ReturnType<typeof startScenarioServer>>;
let s: Awaited<ReturnType<typeof startScenarioServer>>['scenario'];
let server: TestServer;
/** With PGlite the server's data dir is the database folder; with Postgres, a temp dir for the mail sink. */
let mailDir: string | undefined;
let dataDir: string;

beforeAll(async () => {
  mailDir = usingPostgres ? mkdtempSync(path.join(tmpdir(), 'vigie-mail-')) : undefined;
  app = await startScenarioServer({ SITE_URL: SITE, ...(mailDir ? { VIGIE_DATA_DIR: mailDir } : {}) });
  ({ server, scenario: s } = app);
  dataDir = app.env.VIGIE_DATA_DIR!;
});
afterAll(async () => {
  await app?.stop();
  if (mailDir) rmSync(mailDir, { recursive: true, force: true });
});

async function post(pathname: string, body: BodyInit | null, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${pathname}`, { method: 'POST', body, headers, redirect: 'manual' });
  return { res, text: await res.text() };
}
async function get(pathname: string) {
  const res = await fetch(`${server.url}${pathname}`, { redirect: 'manual' });
  return { res, text: await res.text() };
}
const form = (fields: [string, string][]) => new URLSearchParams(fields);

describe('the subscription journey over HTTP', () => {
  it('links the header to /subscribe and shows the form with public components only', async () => {
    const home = await get('/');
    expect(home.text).toContain('class="subscribe" href="/subscribe"');
    expect(home.text).toContain('href="/feed.rss"');
    const page = await get('/subscribe');
    expect(page.res.status).toBe(200);
    expect(page.text).toContain('name="email"');
    expect(page.text).toContain(`value="${s.components.rest.id}"`);
    expect(page.text).not.toContain(s.components.secretComponent.id);
    expect(page.text).not.toContain(s.components.hiddenChild.id);
  });

  it('subscribes, confirms with one button, and unsubscribes in one click', async () => {
    const sent = await post(
      '/subscribe',
      form([
        ['email', 'ann@example.com'],
        ['components', s.components.rest.id],
      ]),
      {
        origin: server.url,
      },
    );
    expect(sent.res.status).toBe(200);
    expect(sent.text).toContain('Check your inbox');
    expect(sent.text).toContain('ann@example.com');

    const mail = readSink(dataDir).at(-1)!;
    expect(mail.headers.to).toBe('ann@example.com');
    const token = linkToken(mail.text, `${SITE}/subscribe/confirm`);

    const ask = await get(`/subscribe/confirm?token=${token}`);
    expect(ask.res.status).toBe(200);
    expect(ask.text).toContain('<meta name="robots" content="noindex">');
    expect(ask.text.match(/<button/g)).toHaveLength(1);
    expect(ask.text).toContain(`action="/subscribe/confirm?token=${token}"`);

    const confirmed = await post(`/subscribe/confirm?token=${token}`, null, { origin: server.url });
    expect(confirmed.res.status).toBe(200);
    expect(confirmed.text).toContain('subscribed');
    const manage = linkToken(confirmed.text, '/unsubscribe');
    expect(linkToken(confirmed.text, '/subscribe/manage')).toBe(manage);

    const again = await post(`/subscribe/confirm?token=${token}`, null, { origin: server.url });
    expect(again.res.status).toBe(400);
    expect(again.text).toContain('invalid or expired');

    const unsubAsk = await get(`/unsubscribe?token=${manage}`);
    expect(unsubAsk.res.status).toBe(200);
    expect(unsubAsk.text.match(/<button/g)).toHaveLength(1);

    // RFC 8058: a mailbox provider's server, no cookie, no Origin, multipart or urlencoded.
    const body = new FormData();
    body.set('List-Unsubscribe', 'One-Click');
    const one = await post(`/unsubscribe?token=${manage}`, body);
    expect(one.res.status).toBe(200);
    expect(one.text).toContain('unsubscribed');
    const two = await post(`/unsubscribe?token=${manage}`, form([['List-Unsubscribe', 'One-Click']]), {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(two.res.status).toBe(200);
    const empty = await post(`/unsubscribe?token=${manage}`, null, { origin: 'https://mail.example' });
    expect(empty.res.status).toBe(200);
  });

  it('answers the same page for a known address', async () => {
    const a = await post('/subscribe', form([['email', 'ann@example.com']]), { origin: server.url });
    const b = await post('/subscribe', form([['email', 'nobody@example.com']]), { origin: server.url });
    expect(a.res.status).toBe(200);
    expect(b.res.status).toBe(200);
    expect(a.text.replace(/ann@example\.com/g, 'X')).toBe(b.text.replace(/nobody@example\.com/g, 'X'));
  });

  it('re-renders the form with errors (422) and the input kept', async () => {
    const bad = await post('/subscribe', form([['email', 'not-an-email']]), { origin: server.url });
    expect(bad.res.status).toBe(422);
    expect(bad.text).toContain('Enter a valid email address');
    expect(bad.text).toContain('value="not-an-email"');
    const internal = await post(
      '/subscribe',
      form([
        ['email', 'x@example.com'],
        ['components', s.components.secretComponent.id],
      ]),
      { origin: server.url },
    );
    expect(internal.res.status).toBe(422);
    expect(internal.text).toContain('Choose components from the list');
  });

  it('answers bad tokens with 4xx pages, never 500', async () => {
    for (const p of [
      '/subscribe/confirm',
      '/subscribe/confirm?token=nope',
      '/unsubscribe?token=nope',
      '/unsubscribe',
    ]) {
      const g = await get(p);
      expect(g.res.status).toBe(400);
      expect(g.text).toContain('invalid or expired');
      const r = await post(p, null);
      expect(r.res.status).toBe(400);
    }
    const long = await post(`/unsubscribe?token=${'a'.repeat(43)}`, null);
    expect(long.res.status).toBe(400);
  });

  it('refuses a sign-up posted from another site', async () => {
    const r = await post('/subscribe', form([['email', 'csrf@example.com']]), { origin: 'https://evil.example' });
    expect(r.res.status).toBe(403);
  });
});
