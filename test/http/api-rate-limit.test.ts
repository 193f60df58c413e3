/**
 * The management API's per-token limit (VIGIE_API_RATE_LIMIT requests a minute): past it, a
 * 429 in the API's error shape with `Retry-After`, counted per token, nothing written.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { createApiToken } from '../../src/server/users/service.ts';
import { startScenarioServer } from '../helpers/server.ts';

const LIMIT = 5;
let app: Awaited<ReturnType<typeof start>>;
const start = () =>
  startScenarioServer(
    { VIGIE_API_RATE_LIMIT: String(LIMIT) },
    {
      async prepare(db) {
        const one = await createApiToken(db, SYSTEM_ACTOR, { name: 'busy script', role: 'comms' });
        const two = await createApiToken(db, SYSTEM_ACTOR, { name: 'other script', role: 'comms' });
        return { busy: one.token, other: two.token };
      },
    },
  );
beforeAll(async () => {
  app = await start();
});
afterAll(() => app?.stop());

const get = (token: string, path = '/api/v1/components') =>
  fetch(app.server.url + path, { headers: { authorization: `Bearer ${token}` } });

it('answers 429 with Retry-After past the limit, per token, and writes nothing then', async () => {
  const statuses = [];
  for (let i = 0; i < LIMIT; i++) statuses.push((await get(app.prepared.busy)).status);
  expect(statuses).toEqual(Array(LIMIT).fill(200));

  const refused = await fetch(app.server.url + '/api/v1/components', {
    method: 'POST',
    headers: { authorization: `Bearer ${app.prepared.busy}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Flooded component', status: 'operational', visibility: 'public' }),
  });
  expect(refused.status).toBe(429);
  const retryAfter = Number(refused.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
  const body = (await refused.json()) as { error: { message: string } };
  expect(body.error.message).toMatch(/Too many requests with this API token \(at most 5 a minute\)/);

  // Another token is counted apart, and the refused POST created nothing.
  const list = await get(app.prepared.other);
  expect(list.status).toBe(200);
  expect(JSON.stringify(await list.json())).not.toContain('Flooded component');
});

it('an unknown token gets 401, not 429', async () => {
  const res = await get('not-a-token');
  expect(res.status).toBe(401);
});
