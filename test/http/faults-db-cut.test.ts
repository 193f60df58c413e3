/**
 * Fault (a), over HTTP: the database goes away while staff write, through the admin form
 * (session and CSRF) and the management API. The built server reaches PostgreSQL through a
 * TCP proxy the test cuts. A write during the cut gets a plain 503 (a page for the admin, the
 * API's JSON error with `retry-after`), never a 500 or a stack trace, and leaves nothing;
 * the same form, or the same API call with its Idempotency-Key, succeeds once the database
 * is back, once. The server process survives it all (postgres.js's write-after-close crash,
 * scripts/patch-postgres.mjs). The service-level stream of writes is in
 * test/integration/faults-db-cut.test.ts. PostgreSQL only (PGlite has no connection to cut), in both of CI's runs: POSTGRES_SERVER.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.ts';
import { incidents } from '../../src/db/schema/index.ts';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { createApiToken, createUser } from '../../src/server/users/service.ts';
import { createBrowser } from '../helpers/browser.ts';
import { createTestDatabase, POSTGRES_SERVER, type TestDatabase } from '../helpers/db.ts';
import { seedScenario } from '../helpers/scenario.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

const PASSWORD = 'correct-horse-battery';

describe('fault: Postgres goes away during admin writes over HTTP', () => {
  let t: TestDatabase;
  let proxy: TcpProxy;
  let c: TestServer;
  let direct: DatabaseHandle;
  let token: string;
  let cdn: string;

  beforeAll(async () => {
    t = await createTestDatabase({ postgres: POSTGRES_SERVER });
    cdn = (await seedScenario(t.handle.db)).components.cdn.id;
    token = (await createApiToken(t.handle.db, SYSTEM_ACTOR, { name: 'comms', role: 'comms' })).token;
    await createUser(t.handle.db, SYSTEM_ACTOR, { email: 'comms@example.com', role: 'comms', password: PASSWORD });
    direct = t.handle;
    const url = new URL(t.env.DATABASE_URL!);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.host = `127.0.0.1:${proxy.port}`;
    c = await startServer({ DATABASE_URL: url.toString(), VIGIE_WORKER: '0' });
  });
  afterAll(async () => {
    await c?.stop();
    await proxy?.close();
    await t?.drop();
  });

  const named = (name: string) => direct.db.select().from(incidents).where(eq(incidents.name, name));

  const api = (name: string, key: string) =>
    fetch(`${c.url}/api/v1/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({
        name,
        status: 'investigating',
        severity: 2,
        visibility: 'public',
        body: 'Looking into it.',
        components: { [cdn]: 'major_outage' },
      }),
    });

  it('answers writes with a plain 503 during the cut, and applies each retried write once after', async () => {
    const staff = createBrowser(c.url);
    expect((await staff.signIn('comms@example.com', PASSWORD)).status).toBe(303);
    const form = await staff.get('/admin/incidents/new');
    expect(form.status).toBe(200);
    const key = /name="idempotency_key" value="([^"]+)"/.exec(form.text)![1];
    const publish = {
      step: 'publish',
      name: 'Published through the outage',
      severity: '2',
      visibility: 'public',
      status: 'investigating',
      body: 'We are looking into it.',
      notify: 'true',
      idempotency_key: key,
      [`components.${cdn}`]: 'partial_outage',
    };
    expect((await api('API before the outage', 'before')).status).toBe(201);

    await proxy.cut();
    try {
      const page = await staff.post('/admin/incidents/new', publish);
      expect(page.status).toBe(503);
      expect(page.text).toContain('cannot reach its database');
      expect(page.text).not.toMatch(/at \w+ \(|node_modules|Error:/);
      const call = await api('API during the outage', 'during');
      expect(call.status).toBe(503);
      expect(call.headers.get('retry-after')).toBeTruthy();
      expect(await call.json()).toEqual({ error: { message: 'The database is unavailable. Try again in a moment.' } });
    } finally {
      await proxy.restore();
    }
    expect(await named('Published through the outage')).toEqual([]);
    expect(await named('API during the outage')).toEqual([]);

    // The server is still there, and takes the same writes again, each once.
    await expect
      .poll(async () => (await fetch(`${c.url}/readyz`)).status, { timeout: 15_000, interval: 200 })
      .toBe(200);
    for (let i = 0; i < 2; i++) {
      const again = await staff.post('/admin/incidents/new', publish);
      expect(again.status, again.text.slice(0, 300)).toBe(303);
      expect([201, 200]).toContain((await api('API during the outage', 'during')).status);
    }
    expect(await named('Published through the outage')).toHaveLength(1);
    expect(await named('API during the outage')).toHaveLength(1);
  });
});
