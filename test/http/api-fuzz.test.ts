/**
 * Property-based fuzzing (fast-check) of every writing route of the management API and the
 * monitoring hooks, on the built server: random and malformed JSON, wrong types, unicode edge
 * cases (NUL, lone surrogates, astral characters), very long strings, huge bodies.
 *
 * The properties, for every request:
 * - never a 5xx;
 * - a 4xx has the documented shape `{"error": {"message": "…", "fields"?: {…}}}`;
 * - after a refused request the database is exactly as before (every table's row count and
 *   every row's content, read directly on PostgreSQL; through the API's own reads on PGlite,
 *   where the server holds the database alone).
 * A failing case prints fast-check's seed and the shrunk request, so it can be replayed.
 */
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows, type DatabaseHandle } from '../../src/db/client.ts';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { createApiToken } from '../../src/server/users/service.ts';
import { usingPostgres } from '../helpers/db.ts';
import { startScenarioServer } from '../helpers/server.ts';

// PGlite answers one query at a time: fewer cases there keep the suite's time in bounds.
const RUNS = Number(process.env.VIGIE_FUZZ_RUNS ?? (usingPostgres ? 40 : 15));
/** Replays a failing case: VIGIE_FUZZ_SEED=<seed> (fast-check prints it). */
const SEED = process.env.VIGIE_FUZZ_SEED ? Number(process.env.VIGIE_FUZZ_SEED) : undefined;

let app: Awaited<ReturnType<typeof start>>;
let token: string;
let direct: DatabaseHandle | undefined;
const stats = { requests: 0, accepted: 0, refused: 0 };

const start = () =>
  startScenarioServer(
    // The per-token limit is tested in api-rate-limit.test.ts; here it would refuse the fuzz.
    { VIGIE_API_RATE_LIMIT: '1000000' },
    { prepare: async (db) => (await createApiToken(db, SYSTEM_ACTOR, { name: 'fuzz', role: 'admin' })).token },
  );

beforeAll(async () => {
  app = await start();
  token = app.prepared;
  if (usingPostgres) direct = await openDatabase({ databaseUrl: app.env.DATABASE_URL, max: 1 });
  // The server's own start-up writes (the settings row's first use, the snapshot's outbox) settle first.
  const deadline = Date.now() + 20_000;
  for (let last = await fingerprint(); ;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await fingerprint();
    if (now === last) break;
    if (Date.now() > deadline) throw new Error('the database never settled after start-up');
    last = now;
  }
});
afterAll(async () => {
  await direct?.close();
  await app?.stop();
  console.log(`api fuzz: ${stats.requests} requests, ${stats.accepted} accepted, ${stats.refused} refused, 0 5xx`);
});

/** The whole database (PostgreSQL), or everything the API can read back (PGlite). */
async function fingerprint(): Promise<string> {
  if (direct) {
    const tables = await queryRows<{ name: string }>(
      direct.db,
      sql`select table_name as name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    const parts: string[] = [];
    for (const { name } of tables) {
      // Bookkeeping a refused request may touch: the rate-limit counts and the token's last use.
      if (name === 'rate_limits' || name === 'api_tokens') continue;
      const [row] = await queryRows<{ n: number; h: string | null }>(
        direct.db,
        sql`select count(*)::int as n, md5(string_agg(t::text, '|' order by t::text)) as h from ${sql.identifier(name)} t`,
      );
      parts.push(`${name}:${row.n}:${row.h}`);
    }
    return parts.join('\n');
  }
  const reads = [
    '/api/v1/components',
    '/api/v1/component-groups',
    '/api/v1/incidents?per_page=100',
    '/api/v1/maintenances?per_page=100',
    '/api/v1/subscribers?per_page=100',
  ];
  const bodies = await Promise.all(
    reads.map(async (p) => (await fetch(app.server.url + p, { headers: { authorization: `Bearer ${token}` } })).text()),
  );
  return bodies.join('\n');
}

type Sent = { method: string; path: string; body: string; contentType?: string };

/** Sends one request and checks the properties; returns whether it was accepted. */
async function check(req: Sent): Promise<void> {
  const before = await fingerprint();
  const res = await fetch(app.server.url + req.path, {
    method: req.method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(req.contentType === undefined ? { 'content-type': 'application/json' } : { 'content-type': req.contentType }),
    },
    body: req.body,
  });
  const text = await res.text();
  stats.requests++;
  const shown = req.body.slice(0, 300);
  expect(res.status, `${req.method} ${req.path} ${shown}\n→ ${text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status < 400) {
    stats.accepted++;
    return;
  }
  stats.refused++;
  const json = JSON.parse(text) as { error?: { message?: unknown; fields?: unknown } };
  expect(typeof json.error?.message, text).toBe('string');
  expect((json.error!.message as string).length).toBeGreaterThan(0);
  if (json.error!.fields !== undefined) {
    expect(typeof json.error!.fields).toBe('object');
    for (const v of Object.values(json.error!.fields as object)) expect(typeof v).toBe('string');
  }
  const after = await fingerprint();
  const changed = after.split('\n').filter((line) => !before.split('\n').includes(line));
  expect(changed, `${req.method} ${req.path} ${shown} was refused (${res.status}) but changed data`).toEqual([]);
}

// Values a person, a script or an attacker might put in any field.
const nasty = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff x',
  '😀'.repeat(3),
  '\u202e\u2066',
  '<script>alert(1)</script>',
  "'; drop table incidents; --",
  '../../etc/passwd',
  'x'.repeat(70_000),
  '9'.repeat(400),
  '1e309',
  'NaN',
  '2026-02-30T25:61:00Z',
  'javascript:alert(1)',
);
const scalar = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  nasty,
);
const value = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.string(), nasty), scalar, { maxKeys: 4 }) },
);

function bodyFor(fields: Record<string, fc.Arbitrary<unknown>>) {
  const keys = Object.keys(fields);
  const plausibleOrNot = Object.fromEntries(keys.map((k) => [k, fc.oneof(fields[k], value)]));
  return fc.oneof(
    // Every field plausible, text fields with edge cases: reaches the services' validation and the database.
    { weight: 4, arbitrary: fc.record(fields) },
    { weight: 4, arbitrary: fc.record(plausibleOrNot, { requiredKeys: [] }) },
    { weight: 1, arbitrary: fc.jsonValue() },
    { weight: 1, arbitrary: fc.string() }, // not JSON at all, mostly
  );
}

/** Text as a field takes it: ordinary, or one of the edge cases. */
const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 20 }), nasty);
const componentStatus = fc.constantFrom(
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'bogus',
);
const visibility = fc.constantFrom('public', 'internal', 'secret');
const iso = fc
  .date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2100-01-01') })
  .map((d) => d.toISOString());

describe('management API under fuzzing', () => {
  const ids = () => app.scenario;
  const routes: {
    name: string;
    method: string;
    path: () => string;
    fields: () => Record<string, fc.Arbitrary<unknown>>;
  }[] = [
    {
      name: 'POST components',
      method: 'POST',
      path: () => '/api/v1/components',
      fields: () => ({
        name: text,
        description: text,
        group_id: fc.constantFrom(ids().groups.api.id, 'nope', ''),
        position: fc.integer(),
        visibility,
        status: componentStatus,
      }),
    },
    {
      name: 'PATCH components/{id}',
      method: 'PATCH',
      path: () => `/api/v1/components/${ids().components.cdn.id}`,
      fields: () => ({
        name: text,
        status: componentStatus,
        visibility,
        position: fc.integer(),
      }),
    },
    {
      name: 'POST component-groups',
      method: 'POST',
      path: () => '/api/v1/component-groups',
      fields: () => ({ name: text, position: fc.integer(), visibility }),
    },
    {
      name: 'POST incidents',
      method: 'POST',
      path: () => '/api/v1/incidents',
      fields: () => ({
        name: text,
        status: fc.constantFrom('investigating', 'identified', 'monitoring', 'resolved', 'scheduled', 'x'),
        severity: fc.constantFrom(1, 2, 3, 0, 4, '1'),
        visibility,
        body: text,
        components: fc.dictionary(fc.constantFrom(ids().components.rest.id, 'zzz'), componentStatus, { maxKeys: 2 }),
        notify: fc.boolean(),
        template_id: fc.constantFrom('nope', ''),
      }),
    },
    {
      name: 'PATCH incidents/{id}',
      method: 'PATCH',
      path: () => `/api/v1/incidents/${ids().incidents.active.id}`,
      fields: () => ({ name: text, severity: fc.constantFrom(1, 2, 3, 9), visibility }),
    },
    {
      name: 'POST incidents/{id}/updates',
      method: 'POST',
      path: () => `/api/v1/incidents/${ids().incidents.active.id}/updates`,
      fields: () => ({
        status: fc.constantFrom('investigating', 'identified', 'monitoring', 'completed', 'x'),
        body: text,
        audience: fc.constantFrom('public', 'internal', 'everyone'),
        components: fc.dictionary(fc.constantFrom(ids().components.rest.id, 'zzz'), componentStatus, { maxKeys: 2 }),
        notify: fc.boolean(),
      }),
    },
    {
      name: 'POST maintenances',
      method: 'POST',
      path: () => '/api/v1/maintenances',
      fields: () => ({
        name: text,
        body: text,
        scheduled_for: iso,
        scheduled_until: iso,
        components: fc.array(fc.constantFrom(ids().components.cdn.id, 'zzz'), { maxLength: 2 }),
        auto_start: fc.boolean(),
        auto_complete: fc.boolean(),
        notify: fc.boolean(),
      }),
    },
    {
      name: 'PATCH maintenances/{id}',
      method: 'PATCH',
      path: () => `/api/v1/maintenances/${ids().incidents.maintenance.id}`,
      fields: () => ({ name: text, scheduled_for: iso, scheduled_until: iso }),
    },
    {
      name: 'POST subscribers',
      method: 'POST',
      path: () => '/api/v1/subscribers',
      fields: () => ({
        email: fc.oneof(fc.emailAddress(), fc.string()),
        component_ids: fc.array(fc.constantFrom(ids().components.cdn.id, 'zzz'), { maxLength: 2 }),
        confirmed: fc.boolean(),
      }),
    },
    {
      name: 'POST hooks/alertmanager',
      method: 'POST',
      path: () => '/api/v1/hooks/alertmanager',
      fields: () => ({
        version: fc.constantFrom('4', 4, '3'),
        groupKey: fc.string(),
        status: fc.constantFrom('firing', 'resolved', 'x'),
        alerts: fc.array(
          fc.record(
            {
              status: fc.constantFrom('firing', 'resolved'),
              labels: fc.dictionary(text, text, { maxKeys: 3 }),
              startsAt: iso,
            },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
      }),
    },
    {
      name: 'POST hooks/grafana',
      method: 'POST',
      path: () => '/api/v1/hooks/grafana',
      fields: () => ({
        receiver: fc.string(),
        status: fc.constantFrom('firing', 'resolved', 'x'),
        groupKey: fc.string(),
        alerts: fc.array(
          fc.record(
            { status: fc.constantFrom('firing', 'resolved'), labels: fc.dictionary(text, text, { maxKeys: 3 }) },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
      }),
    },
  ];

  for (const route of routes) {
    it(`${route.name}: random and malformed bodies never get a 5xx, and a refusal changes nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(bodyFor(route.fields()), async (body) => {
          const text = typeof body === 'string' ? body : JSON.stringify(body);
          await check({ method: route.method, path: route.path(), body: text });
        }),
        { numRuns: RUNS, seed: SEED },
      );
    }, 180_000);
  }

  it('refuses bodies over 64 KiB with 413, whatever their content, and bad content types with 400', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 64 * 1024 + 1, max: 2 * 1024 * 1024 }),
        fc.constantFrom('/api/v1/incidents', '/api/v1/components', '/api/v1/hooks/alertmanager'),
        async (size, path) => {
          const body = new TextEncoder().encode(JSON.stringify({ name: 'x'.repeat(size) }));
          const before = await fingerprint();
          const res = await fetch(app.server.url + path, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body,
          });
          stats.requests++;
          stats.refused++;
          expect(res.status).toBe(413);
          expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/64 KiB/);
          expect(await fingerprint()).toBe(before);
        },
      ),
      { numRuns: 6 },
    );
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      await check({
        method: 'POST',
        path: '/api/v1/components',
        body: '{"name":"x","status":"operational"}',
        contentType,
      });
    }
  }, 120_000);
});

describe('NUL characters outside JSON bodies', () => {
  it('an address with %00 gets a 400 that says why, on pages, searches and the API', async () => {
    for (const p of ['/history?page=1%00', '/admin/login?next=%2Fadmin%00', '/api/v1/components?page=%00']) {
      const res = await fetch(app.server.url + p, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status, p).toBe(400);
      expect(await res.text(), p).toMatch(/NUL character/);
    }
  });

  it('a sign-in with a NUL in the address is refused as a wrong password, not a 500', async () => {
    const page = await fetch(app.server.url + '/admin/login');
    const csrf = /name="_csrf" value="([^"]*)"/.exec(await page.text())![1];
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const res = await fetch(app.server.url + '/admin/login', {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: app.server.url, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, email: 'a\u0000@example.com', password: 'x'.repeat(12) }),
    });
    expect(res.status).toBe(400);
  });
});
