/**
 * Crawls every public surface of the built server with internal data seeded, and checks
 * that none of it leaks and that nothing answers 5xx; then the same server's behaviour
 * when its database is unreachable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V2_ENDPOINTS } from '../../src/server/statuspage/serialize.ts';
import { INTERNAL_MARKER } from '../helpers/scenario.ts';
import { startScenarioServer, startServer, type TestServer } from '../helpers/server.ts';

let app: Awaited<ReturnType<typeof startScenarioServer>>;
let server: TestServer;
let s: Awaited<ReturnType<typeof startScenarioServer>>['scenario'];

beforeAll(async () => {
  app = await startScenarioServer();
  ({ server, scenario: s } = app);
});
afterAll(() => app?.stop());

function publicPaths(): string[] {
  const { active, resolved, maintenance } = s.incidents;
  const { rest, webhooks, dashboard, cdn } = s.components;
  return [
    '/',
    '/history',
    '/history?page=2',
    ...[active, resolved, maintenance].map((i) => `/incidents/${i.id}`),
    '/feed.rss',
    ...[rest, webhooks, dashboard, cdn].map((c) => `/components/${c.id}/feed.rss`),
    ...V2_ENDPOINTS.map((e) => `/api/v2/${e}.json`),
  ];
}

describe('public surfaces', () => {
  it('answer 200 and never contain internal data', async () => {
    for (const path of publicPaths()) {
      const res = await fetch(server.url + path);
      const body = await res.text();
      expect(res.status, path).toBe(200);
      expect(body, path).not.toContain(INTERNAL_MARKER);
      for (const id of [
        s.incidents.internal.id,
        s.components.secretComponent.id,
        s.components.hiddenChild.id,
        s.groups.secretGroup.id,
      ]) {
        expect(body, `${path} contains internal id ${id}`).not.toContain(id);
      }
    }
  });

  it('answer internal ids as if they did not exist', async () => {
    expect((await fetch(`${server.url}/incidents/${s.incidents.internal.id}`)).status).toBe(404);
    expect((await fetch(`${server.url}/components/${s.components.secretComponent.id}/feed.rss`)).status).toBe(404);
    expect((await fetch(`${server.url}/components/${s.components.hiddenChild.id}/feed.rss`)).status).toBe(404);
  });

  it('answer bad input with a 4xx, never a 5xx', async () => {
    const bad = [
      '/incidents/does-not-exist',
      '/incidents/%00',
      `/incidents/${'a'.repeat(500)}`,
      '/incidents/..%2f..%2fetc%2fpasswd',
      '/history?page=0',
      '/history?page=abc',
      '/history?page=-1',
      '/history?page=99999999999999999999',
      '/components/nope/feed.rss',
      '/components/%3Cscript%3E/feed.rss',
      '/api/v2/nope.json',
      '/no/such/page',
    ];
    for (const path of bad) {
      const res = await fetch(server.url + path);
      await res.arrayBuffer();
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
    }
  });

  it('send baseline security headers', async () => {
    const res = await fetch(server.url + '/');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
  });

  it('report liveness and readiness', async () => {
    expect((await fetch(server.url + '/healthz')).status).toBe(200);
    expect((await fetch(server.url + '/readyz')).status).toBe(200);
  });
});

describe('with the database unreachable', () => {
  let down: TestServer;
  beforeAll(async () => {
    // Nothing listens on port 1: every connection is refused at once.
    down = await startServer({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/vigie' });
  });
  afterAll(() => down?.stop());

  it('stays alive, says not ready, and answers pages and the API with a readable 503', async () => {
    expect((await fetch(down.url + '/healthz')).status).toBe(200);
    expect((await fetch(down.url + '/readyz')).status).toBe(503);

    const page = await fetch(down.url + '/');
    const html = await page.text();
    expect(page.status).toBe(503);
    expect(html).toMatch(/cannot reach its database/);
    expect(html).not.toMatch(/ECONNREFUSED|at .*\.(m?js|ts):\d+/);

    const api = await fetch(down.url + '/api/v2/summary.json');
    expect(api.status).toBe(503);
    const json = (await api.json()) as { error: { message: string } };
    expect(json.error.message).toMatch(/unavailable/i);
  });
});
