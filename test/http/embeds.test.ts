/**
 * The embeds other sites use: the status badge (`/badge.svg`, `?component=`) and the banner
 * script (`/embed.js`). Both are public, cross-origin, served from the snapshot, and never
 * say anything about internal components.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { faviconSvg } from '../../src/server/favicon.ts';
import { PUBLIC_CACHE_CONTROL } from '../../src/server/http.ts';
import { createApiToken } from '../../src/server/users/service.ts';
import { INTERNAL_MARKER } from '../helpers/scenario.ts';
import { startScenarioServer } from '../helpers/server.ts';

let app: Awaited<ReturnType<typeof startScenarioServer<string>>>;
let url: string;

beforeAll(async () => {
  app = await startScenarioServer(
    {},
    { prepare: async (db) => (await createApiToken(db, SYSTEM_ACTOR, { name: 'admin', role: 'admin' })).token },
  );
  url = app.server.url;
  // The snapshot's first build runs just after the server listens; component badges come last.
  const deadline = Date.now() + 15_000;
  const last = `${url}/badge.svg?component=${app.scenario.components.cdn.id}`;
  while ((await fetch(last)).headers.get('x-vigie-snapshot') !== 'fresh') {
    if (Date.now() > deadline) throw new Error('no snapshot of the component badges');
    await new Promise((r) => setTimeout(r, 50));
  }
});
afterAll(() => app?.stop());

const get = (path: string, init?: RequestInit) => fetch(url + path, init);

function expectEmbeddable(res: Response) {
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
}

describe('/badge.svg', () => {
  it('shows the overall status in words, as status.json says it, from the snapshot', async () => {
    const status = (await (await get('/api/v2/status.json')).json()).status as { description: string };
    const res = await get('/badge.svg');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe(PUBLIC_CACHE_CONTROL);
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(res.headers.get('x-vigie-snapshot')).toBe('fresh');
    expectEmbeddable(res);
    const svg = await res.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain(`<title>status: ${status.description}</title>`);
    expect(svg).toContain(`role="img"`);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await get('/badge.svg', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(await res.text()).toBe('');
  });

  it("shows one public component's name and status, from the snapshot", async () => {
    const res = await get(`/badge.svg?component=${app.scenario.components.rest.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-vigie-snapshot')).toBe('fresh');
    expectEmbeddable(res);
    expect(await res.text()).toContain('<title>REST API: Partial outage</title>');
  });

  it('answers an internal component, one in an internal group and an unknown id alike: 404', async () => {
    const { secretComponent, hiddenChild } = app.scenario.components;
    const answers = await Promise.all(
      [secretComponent.id, hiddenChild.id, 'cmp_does_not_exist'].map(async (id) => {
        const res = await get(`/badge.svg?component=${id}`);
        return { status: res.status, body: await res.text() };
      }),
    );
    for (const a of answers) {
      expect(a.status).toBe(404);
      expect(a.body).toBe(answers[2].body);
      expect(a.body).not.toContain(INTERNAL_MARKER);
    }
    expect(answers[2].body).toContain('unknown component');
  });

  it('refuses a malformed query with 400', async () => {
    const { rest, cdn } = app.scenario.components;
    for (const query of [`component=${rest.id}&component=${cdn.id}`, 'component=', 'component=%3Cscript%3E']) {
      const res = await get(`/badge.svg?${query}`);
      expect(res.status, query).toBe(400);
      expect(await res.text()).toContain('bad component id');
    }
  });
});

describe('/embed.js', () => {
  it('is a small script, cross-origin, from the snapshot, with no internal data', async () => {
    const res = await get('/embed.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe(PUBLIC_CACHE_CONTROL);
    expect(res.headers.get('x-vigie-snapshot')).toBe('fresh');
    expectEmbeddable(res);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBeLessThan(5 * 1024);
    const text = body.toString('utf8');
    expect(text).toContain('/api/v2/summary.json');
    expect(text).not.toContain('innerHTML');
    expect(text).not.toContain(INTERNAL_MARKER);
  });
});

describe('/favicon.svg', () => {
  it('is drawn for the overall status, from the snapshot', async () => {
    const { indicator } = (await (await get('/api/v2/status.json')).json()).status as { indicator: string };
    expect(indicator).toBe('minor');
    const res = await get('/favicon.svg');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(res.headers.get('x-vigie-snapshot')).toBe('fresh');
    const svg = await res.text();
    expect(svg).toBe(faviconSvg('minor'));
    expect(svg).not.toBe(faviconSvg('none'));
  });
});

// Last: a change sends this instance's readers to the live pages for a moment.
describe('after a change', () => {
  it('follows a status change', async () => {
    const { dashboard } = app.scenario.components;
    const res = await fetch(`${url}/api/v1/components/${dashboard.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${app.prepared}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'major_outage' }),
    });
    expect(res.status).toBe(200);
    const deadline = Date.now() + 10_000;
    let svg = '';
    while (!svg.includes('Dashboard: Major outage') && Date.now() < deadline) {
      svg = await (await get(`/badge.svg?component=${dashboard.id}`)).text();
      if (!svg.includes('Major outage')) await new Promise((r) => setTimeout(r, 50));
    }
    expect(svg).toContain('<title>Dashboard: Major outage</title>');
    // The tab icon follows: one component down of several is a partial system outage.
    const { indicator } = (await (await get('/api/v2/status.json')).json()).status as { indicator: string };
    expect(indicator).toBe('major');
    await expect((await get('/favicon.svg')).text()).resolves.toBe(faviconSvg('major'));
  });
});
