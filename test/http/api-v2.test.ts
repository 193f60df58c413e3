import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_CACHE_CONTROL } from '../../src/server/http.ts';
import { V2_ENDPOINTS } from '../../src/server/statuspage/serialize.ts';
import { INTERNAL_MARKER } from '../helpers/scenario.ts';
import { startScenarioServer, startServer, type TestServer } from '../helpers/server.ts';

const paths = V2_ENDPOINTS.map((e) => `/api/v2/${e}.json`);

describe('the Statuspage v2 API over HTTP', () => {
  let app: Awaited<ReturnType<typeof startScenarioServer>>;
  let server: TestServer;

  beforeAll(async () => {
    app = await startScenarioServer({ SITE_URL: 'https://status.example.com' });
    server = app.server;
  });
  afterAll(() => app?.stop());

  for (const path of paths) {
    it(`GET ${path}: 200 JSON, CORS *, nothing internal`, async () => {
      const res = await fetch(`${server.url}${path}`, { headers: { origin: 'https://widget.example.org' } });
      const text = await res.text();
      expect(res.status, text).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('cache-control')).toBe(PUBLIC_CACHE_CONTROL);
      const body = JSON.parse(text);
      expect(body.page).toMatchObject({ url: 'https://status.example.com', id: expect.any(String) });
      expect(text).not.toContain(INTERNAL_MARKER);
    });

    it(`HEAD ${path}: 200, same headers, no body`, async () => {
      const res = await fetch(`${server.url}${path}`, { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('cache-control')).toBe(PUBLIC_CACHE_CONTROL);
      expect(await res.text()).toBe('');
    });

    it(`OPTIONS ${path}: 204 preflight`, async () => {
      const res = await fetch(`${server.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://widget.example.org',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'x-requested-with',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-methods')).toContain('GET');
      expect(res.headers.get('access-control-allow-headers')).toBe('x-requested-with');
      expect(await res.text()).toBe('');
    });
  }

  it('summary.json has the seeded page: groups, the open incident, the upcoming maintenance', async () => {
    const body = await (await fetch(`${server.url}/api/v2/summary.json`)).json();
    expect(
      body.components.some((c: { group: boolean; components?: string[] }) => c.group && c.components?.length),
    ).toBe(true);
    expect(body.incidents.map((i: { name: string }) => i.name)).toEqual(['Elevated API error rates']);
    expect(body.scheduled_maintenances.map((m: { name: string }) => m.name)).toEqual(['Database upgrade']);
  });
});

describe('the v2 API without a database', () => {
  let server: TestServer;

  beforeAll(async () => {
    // Nothing listens on port 1, so every connection is refused.
    server = await startServer({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/vigie' });
  });
  afterAll(() => server?.stop());

  it('answers 503 JSON with CORS, never a stack trace', async () => {
    for (const path of paths) {
      const res = await fetch(`${server.url}${path}`);
      const text = await res.text();
      expect(res.status, `${path}: ${text}`).toBe(503);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(JSON.parse(text)).toEqual({ error: { message: expect.any(String) } });
      expect(text).not.toMatch(/ECONNREFUSED|at .*\.(m?js|ts):\d+/);
    }
    const head = await fetch(`${server.url}/api/v2/components.json`, { method: 'HEAD' });
    expect(head.status).toBe(503);
  });
});
