import Parser from 'rss-parser';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_CACHE_CONTROL } from '../../src/server/http.ts';
import { INTERNAL_MARKER } from '../helpers/scenario.ts';
import { startScenarioServer, startServer, type TestServer } from '../helpers/server.ts';

const SITE = 'https://status.example.com';
let app: Awaited<ReturnType<typeof startScenarioServer>>;
let s: Awaited<ReturnType<typeof startScenarioServer>>['scenario'];
let server: TestServer;
const bodies: string[] = [];

beforeAll(async () => {
  app = await startScenarioServer({ SITE_URL: SITE });
  ({ server, scenario: s } = app);
});
afterAll(() => app?.stop());

async function get(path: string, init?: RequestInit) {
  const res = await fetch(`${server.url}${path}`, init);
  const body = await res.text();
  bodies.push(body);
  return { res, body };
}

describe('GET /feed.rss', () => {
  it('answers RSS 2.0 with the public updates', async () => {
    const { res, body } = await get('/feed.rss');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe(PUBLIC_CACHE_CONTROL);
    expect(XMLValidator.validate(body)).toBe(true);
    const feed = await new Parser().parseString(body);
    expect(feed.items.length).toBe(5);
    expect(feed.items[0].title).toBe('Elevated API error rates — Identified');
    expect(feed.items[0].link).toBe(`${SITE}/incidents/${s.incidents.active.id}`);
    expect(body).toContain(`<atom:link href="${SITE}/feed.rss" rel="self"`);
  });

  it('answers HEAD with the headers and no body', async () => {
    const { res, body } = await get('/feed.rss', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    expect(body).toBe('');
  });

  it('answers 304 to a conditional request for an unchanged feed', async () => {
    const first = await get('/feed.rss');
    const etag = first.res.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);
    const again = await get('/feed.rss', { headers: { 'if-none-match': etag! } });
    expect(again.res.status).toBe(304);
    expect(again.body).toBe('');
  });
});

describe('GET /components/{id}/feed.rss', () => {
  it('answers the feed of a public component', async () => {
    const { res, body } = await get(`/components/${s.components.rest.id}/feed.rss`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    const feed = await new Parser().parseString(body);
    expect(feed.title).toBe('Vigie — REST API');
    const links = new Set(feed.items.map((i) => i.link));
    expect(links).toEqual(
      new Set([`${SITE}/incidents/${s.incidents.active.id}`, `${SITE}/incidents/${s.incidents.maintenance.id}`]),
    );
  });

  it('answers HEAD for a public component', async () => {
    const { res } = await get(`/components/${s.components.rest.id}/feed.rss`, { method: 'HEAD' });
    expect(res.status).toBe(200);
  });

  it.each([
    ['unknown', () => 'zzzzzzzzzzzz'],
    ['internal', () => s.components.secretComponent.id],
    ['inside an internal group', () => s.components.hiddenChild.id],
  ])('answers 404 for an %s component', async (_, id) => {
    const { res, body } = await get(`/components/${id()}/feed.rss`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(body).not.toContain(id());
  });

  it.each(['%00..', 'a'.repeat(500), '%27%20or%201%3D1', 'ABC', 'a%2Fb', '%E0%A4%A', '%', '%C0%AE%C0%AE'])(
    'answers a 4xx, not a 500, for the malformed id %s',
    async (id) => {
      const { res } = await get(`/components/${id}/feed.rss`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    },
  );
});

describe('the feeds', () => {
  it('never carry internal content in any body', () => {
    expect(bodies.length).toBeGreaterThan(10);
    for (const body of bodies) expect(body).not.toContain(INTERNAL_MARKER);
  });
});

describe('with the database down', () => {
  let down: TestServer;
  beforeAll(async () => {
    // Nothing listens on port 1: every connection is refused.
    down = await startServer({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/vigie' });
  });
  afterAll(() => down?.stop());

  it.each(['/feed.rss', '/components/abcdefabcdef/feed.rss'])(
    'answers %s with 503 and no stack trace',
    async (path) => {
      const res = await fetch(`${down.url}${path}`);
      const body = await res.text();
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect(body).not.toMatch(/ECONNREFUSED|at .*\.(m?js|ts):\d+/);
    },
  );
});
