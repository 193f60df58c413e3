/**
 * English and French over HTTP, through the snapshot: a French-speaking browser gets the
 * public page in French, the switcher's cookie wins over Accept-Language, the switcher only
 * sends readers back to this site, and subscribers get their emails in the language they
 * subscribed in.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { createApiToken } from '../../src/server/users/service.ts';
import { usingPostgres } from '../helpers/db.ts';
import { decodeHeader, linkToken, readSink, type SinkMessage } from '../helpers/mail.ts';
import { startScenarioServer, type TestServer } from '../helpers/server.ts';

const SITE = 'https://status.example.com';
const FR = { 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.8' };
let app: Awaited<ReturnType<typeof startScenarioServer<string>>>;
let s: typeof app.scenario;
let server: TestServer;
let mailDir: string | undefined;
let dataDir: string;

beforeAll(async () => {
  mailDir = usingPostgres ? mkdtempSync(path.join(tmpdir(), 'vigie-mail-')) : undefined;
  app = await startScenarioServer(
    { SITE_URL: SITE, VIGIE_WORKER: '1', VIGIE_SEND_RATE: '50', ...(mailDir ? { VIGIE_DATA_DIR: mailDir } : {}) },
    {
      prepare: async (db) => (await createApiToken(db, SYSTEM_ACTOR, { name: 'comms', role: 'comms' })).token,
    },
  );
  ({ server, scenario: s } = app);
  dataDir = app.env.VIGIE_DATA_DIR!;
  const deadline = Date.now() + 15_000;
  while ((await fetch(`${server.url}/`)).headers.get('x-vigie-snapshot') !== 'fresh') {
    if (Date.now() > deadline) throw new Error(`no snapshot after 15 s:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
});
afterAll(async () => {
  await app?.stop();
  if (mailDir) rmSync(mailDir, { recursive: true, force: true });
});

async function get(pathname: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${pathname}`, { headers, redirect: 'manual' });
  return { res, text: await res.text() };
}

describe('the public page in the reader’s language', () => {
  it('serves / in French from the snapshot to a French-speaking browser', async () => {
    const { res, text } = await get('/', FR);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-vigie-snapshot')).toBe('fresh');
    expect(res.headers.get('content-language')).toBe('fr');
    expect(res.headers.get('vary')).toBe('Accept-Encoding, Accept-Language, Cookie');
    expect(text).toContain('<html lang="fr">');
    expect(text).toContain('Incidents en cours');
    expect(text).toContain('Panne partielle');
    expect(text).toContain('Composants');
    expect(text).toContain('Historique des incidents');
    expect(text).toContain('Disponibilité sur les 90 derniers jours');
    // Written by people: as written.
    expect(text).toContain('Elevated API error rates');
    expect(text).toContain('REST API');
    expect(text).not.toContain('Active incidents');
    expect(text).not.toContain('Partial outage');
    expect(text).not.toContain('Skip to main content');
  });

  it('keeps English as the default without a preference, with its own ETag', async () => {
    const en = await get('/');
    expect(en.res.headers.get('x-vigie-snapshot')).toBe('fresh');
    expect(en.res.headers.get('content-language')).toBe('en');
    expect(en.text).toMatch(/<html lang="en[^"]*">/);
    expect(en.text).toContain('Active incidents');
    const fr = await get('/', FR);
    expect(fr.res.headers.get('etag')).not.toBe(en.res.headers.get('etag'));
    // The English ETag does not validate the French page.
    const revalidated = await get('/', { ...FR, 'if-none-match': en.res.headers.get('etag')! });
    expect(revalidated.res.status).toBe(200);
    expect(revalidated.text).toContain('<html lang="fr">');
    const same = await get('/', { ...FR, 'if-none-match': fr.res.headers.get('etag')! });
    expect(same.res.status).toBe(304);
  });

  it('lets the switcher’s cookie win over Accept-Language', async () => {
    const { res, text } = await get('/', { ...FR, cookie: 'vigie_lang=en' });
    expect(res.headers.get('x-vigie-snapshot')).toBe('fresh');
    expect(text).toContain('Active incidents');
    const back = await get('/', { 'accept-language': 'en-US', cookie: 'theme=dark; vigie_lang=fr' });
    expect(back.text).toContain('<html lang="fr">');
  });

  it('serves the history, an incident page and the 404 in French', async () => {
    const history = await get('/history', FR);
    expect(history.res.headers.get('x-vigie-snapshot')).toBe('fresh');
    expect(history.text).toContain('<h1 class="page-title">Historique des incidents</h1>');
    const incident = await get(`/incidents/${s.incidents.active.id}`, FR);
    expect(incident.res.headers.get('x-vigie-snapshot')).toBe('fresh');
    expect(incident.text).toContain('Composants concernés');
    expect(incident.text).toContain('Mises à jour');
    expect(incident.text).toContain('Cause identifiée');
    const missing = await get('/incidents/nope-nope', FR);
    expect(missing.res.status).toBe(404);
    expect(missing.text).toContain('Page introuvable');
    const subscribe = await get('/subscribe', FR);
    expect(subscribe.text).toContain('Recevoir les mises à jour par e-mail');
    const refused = await fetch(`${server.url}/subscribe`, {
      method: 'POST',
      body: new URLSearchParams({ email: 'not an address' }),
      headers: { origin: server.url, ...FR },
    });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('Saisissez une adresse e-mail valide');
  });

  it('shows a switcher that works without JavaScript and only goes back to this site', async () => {
    const home = await get('/history', FR);
    expect(home.text).toContain('href="/lang?set=en&amp;back=%2Fhistory"');
    const set = await get('/lang?set=fr&back=%2Fhistory%3Fpage%3D2');
    expect(set.res.status).toBe(303);
    expect(set.res.headers.get('location')).toBe('/history?page=2');
    expect(set.res.headers.get('set-cookie')).toMatch(/^vigie_lang=fr; Path=\/; Max-Age=31536000; SameSite=Lax/);
    expect(set.res.headers.get('cache-control')).toBe('no-store');
    for (const evil of ['//evil.example/', 'https://evil.example/', '/\\evil.example', '%2F%2Fevil.example']) {
      const r = await get(`/lang?set=en&back=${encodeURIComponent(evil)}`);
      expect(r.res.status, evil).toBe(303);
      expect(r.res.headers.get('location'), evil).toBe('/');
    }
    const bad = await get('/lang?set=xx');
    expect(bad.res.status).toBe(400);
  });
});

describe('emails in the subscriber’s language', () => {
  const subscribe = (email: string, headers: Record<string, string>) =>
    fetch(`${server.url}/subscribe`, {
      method: 'POST',
      body: new URLSearchParams({ email }),
      headers: { origin: server.url, ...headers },
      redirect: 'manual',
    });
  const mailTo = (email: string) => readSink(dataDir).filter((m) => m.headers.to === email);
  async function waitForMail(email: string, count: number): Promise<SinkMessage[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const mails = mailTo(email);
      if (mails.length >= count) return mails;
      if (Date.now() > deadline) throw new Error(`no mail ${count} to ${email}:\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async function confirm(email: string) {
    const [mail] = await waitForMail(email, 1);
    const token = linkToken(mail.text, `${SITE}/subscribe/confirm`);
    const res = await fetch(`${server.url}/subscribe/confirm?token=${token}`, {
      method: 'POST',
      headers: { origin: server.url },
    });
    expect(res.status).toBe(200);
    return mail;
  }

  it('confirms and sends updates in French to a French subscriber, in English to an English one', async () => {
    const fr = await subscribe('zoe@example.com', FR);
    expect(fr.status).toBe(200);
    expect(await fr.text()).toContain('Consultez votre boîte de réception');
    expect((await subscribe('ann@example.com', {})).status).toBe(200);

    const frConfirm = await confirm('zoe@example.com');
    expect(decodeHeader(frConfirm.headers.subject)).toBe('Confirmez votre abonnement à l’état des services Vigie');
    expect(frConfirm.text).toContain('tous les composants');
    expect(frConfirm.html).toContain('Confirmer votre abonnement');
    const manage = await get(`/subscribe/manage?token=${linkToken(frConfirm.text, `${SITE}/subscribe/confirm`)}`, FR);
    expect(manage.text).toContain('Ce lien est invalide ou a expiré');
    const enConfirm = await confirm('ann@example.com');
    expect(decodeHeader(enConfirm.headers.subject)).toBe('Confirm your subscription to Vigie status');

    const res = await fetch(`${server.url}/api/v1/incidents/${s.incidents.active.id}/updates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.prepared}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'monitoring', body: 'A fix was deployed.', notify: true }),
    });
    expect(res.status).toBe(201);

    const [, frUpdate] = await waitForMail('zoe@example.com', 2);
    const [, enUpdate] = await waitForMail('ann@example.com', 2);
    expect(decodeHeader(frUpdate.headers.subject)).toBe('[Vigie] Elevated API error rates — Sous surveillance');
    expect(frUpdate.text).toContain('A fix was deployed.');
    expect(frUpdate.text).toContain('Vous recevez ce message car vous êtes abonné aux mises à jour de Vigie.');
    expect(frUpdate.text).toContain('Se désabonner\u202f: https://status.example.com/unsubscribe?token=');
    expect(frUpdate.html).toContain('<html lang="fr">');
    expect(frUpdate.html).toContain('Gérer votre abonnement');
    expect(decodeHeader(enUpdate.headers.subject)).toBe('[Vigie] Elevated API error rates — Monitoring');
    expect(enUpdate.text).toContain('You receive this because you subscribed to updates from Vigie.');
    expect(enUpdate.text).toContain('Unsubscribe: https://status.example.com/unsubscribe?token=');
    expect(enUpdate.html).not.toContain('abonnement');
  });
});
