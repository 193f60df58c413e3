/**
 * The management API over HTTP, on the built server: every route × every kind of caller,
 * a comms person's whole incident, and bad input. The route list comes from the files under
 * src/pages/api/v1, so a new route without an entry in CASES fails the suite.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/domain/enums.ts';
import type { V1Route } from '../../src/server/api/v1.ts';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { V2_ENDPOINTS } from '../../src/server/statuspage/serialize.ts';
import { DEFAULT_TEMPLATE_IDS } from '../../src/server/templates/defaults.ts';
import { createApiToken } from '../../src/server/users/service.ts';
import { INTERNAL_MARKER } from '../helpers/scenario.ts';
import { startScenarioServer } from '../helpers/server.ts';

const ROUTES_DIR = path.resolve(import.meta.dirname, '../../src/pages/api/v1');

/** Every route file as `{ pattern: '/api/v1/components/{id}', file }`. */
function routeFiles(dir = ROUTES_DIR): { pattern: string; file: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return routeFiles(file);
    const rel = path.relative(ROUTES_DIR, file).replace(/\.ts$/, '').split(path.sep);
    return [{ pattern: '/api/v1/' + rel.map((s) => s.replace(/^\[(\w+)\]$/, '{$1}')).join('/'), file }];
  });
}

type App = Awaited<ReturnType<typeof start>>;
const start = () =>
  startScenarioServer(
    { SITE_URL: 'https://status.example.com' },
    {
      async prepare(db) {
        const tokens = {} as Record<Role, string>;
        for (const role of ROLES) tokens[role] = (await createApiToken(db, SYSTEM_ACTOR, { name: role, role })).token;
        return tokens;
      },
    },
  );

let app: App;
let tokens: Record<Role, string>;
beforeAll(async () => {
  app = await start();
  tokens = app.prepared;
});
afterAll(() => app?.stop());

type Caller = Role | 'none' | 'bad';
const CALLERS: Caller[] = ['none', 'bad', ...ROLES];

async function call(
  caller: Caller,
  method: string,
  urlPath: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any; text: string; headers: Headers }> {
  const auth: Record<string, string> =
    caller === 'none'
      ? {}
      : { authorization: `Bearer ${caller === 'bad' ? 'vigie_not-a-real-token' : tokens[caller]}` };
  const res = await fetch(app.server.url + urlPath, {
    method,
    headers: {
      // JSON clients send it; Astro's origin check needs it on bodiless DELETEs (see the known issue below).
      'content-type': 'application/json',
      ...auth,
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: the assertions say so.
  }
  return { status: res.status, json, text, headers: res.headers };
}

const api = (caller: Caller, method: string, urlPath: string, body?: unknown) => call(caller, method, urlPath, body);

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}-${Date.now()}`;

/** Makes something to act on, through the API as admin; returns its id. */
async function make(urlPath: string, body: unknown): Promise<string> {
  const res = await api('admin', 'POST', urlPath, body);
  expect(res.status, res.text).toBe(201);
  return res.json.id;
}

/** An Alertmanager (v4) delivery of a new alert group with one firing alert. */
function alertGroup() {
  const name = unique('Alert');
  return {
    version: '4',
    groupKey: `{}:{alertname="${name}"}`,
    status: 'firing',
    alerts: [{ status: 'firing', labels: { alertname: name }, startsAt: new Date().toISOString(), fingerprint: name }],
  };
}

type Case = {
  /** The path parameters (a fresh target for each caller when it is destructive). */
  params?: () => Promise<Record<string, string>>;
  body?: () => unknown;
  /** The roles allowed, and the status they get. */
  allowed: readonly Role[];
  status: number;
};

const everyone = ROLES;
const responderUp: Role[] = ['responder', 'comms', 'admin'];
const commsUp: Role[] = ['comms', 'admin'];
const adminOnly: Role[] = ['admin'];

const CASES: Record<string, Case> = {
  'GET /api/v1/components': { allowed: everyone, status: 200 },
  'POST /api/v1/components': {
    body: () => ({ name: unique('Component'), visibility: 'public', status: 'operational' }),
    allowed: adminOnly,
    status: 201,
  },
  'GET /api/v1/components/{id}': {
    params: async () => ({ id: app.scenario.components.rest.id }),
    allowed: everyone,
    status: 200,
  },
  'PATCH /api/v1/components/{id}': {
    params: async () => ({ id: app.scenario.components.cdn.id }),
    body: () => ({ description: unique('Edited') }),
    allowed: adminOnly,
    status: 200,
  },
  'DELETE /api/v1/components/{id}': {
    params: async () => ({ id: await make('/api/v1/components', { name: unique('Doomed'), status: 'operational' }) }),
    allowed: adminOnly,
    status: 204,
  },
  'GET /api/v1/component-groups': { allowed: everyone, status: 200 },
  'POST /api/v1/component-groups': { body: () => ({ name: unique('Group') }), allowed: adminOnly, status: 201 },
  'PATCH /api/v1/component-groups/{id}': {
    params: async () => ({ id: app.scenario.groups.web.id }),
    body: () => ({ description: unique('Edited') }),
    allowed: adminOnly,
    status: 200,
  },
  'DELETE /api/v1/component-groups/{id}': {
    params: async () => ({ id: await make('/api/v1/component-groups', { name: unique('Doomed group') }) }),
    allowed: adminOnly,
    status: 204,
  },
  'GET /api/v1/incidents': { allowed: everyone, status: 200 },
  'POST /api/v1/incidents': {
    body: () => ({
      name: unique('Internal incident'),
      status: 'investigating',
      severity: 3,
      visibility: 'internal',
      body: 'Looking into it',
    }),
    allowed: responderUp,
    status: 201,
  },
  'GET /api/v1/incidents/{id}': {
    params: async () => ({ id: app.scenario.incidents.active.id }),
    allowed: everyone,
    status: 200,
  },
  'PATCH /api/v1/incidents/{id}': {
    params: async () => ({ id: app.scenario.incidents.internal.id }),
    body: () => ({ ticket_url: `https://tickets.example.com/${unique('T')}` }),
    allowed: responderUp,
    status: 200,
  },
  'POST /api/v1/incidents/{id}/updates': {
    params: async () => ({ id: app.scenario.incidents.internal.id }),
    body: () => ({ status: 'investigating', body: unique('Internal note'), audience: 'internal' }),
    allowed: responderUp,
    status: 201,
  },
  // Monitoring webhooks (test/http/alert-hooks.test.ts has the fixtures): a fresh group each
  // time, so each allowed caller opens a draft.
  'POST /api/v1/hooks/alertmanager': { body: () => alertGroup(), allowed: responderUp, status: 201 },
  'POST /api/v1/hooks/grafana': { body: () => alertGroup(), allowed: responderUp, status: 201 },
  'GET /api/v1/maintenances': { allowed: everyone, status: 200 },
  'POST /api/v1/maintenances': {
    body: () => ({
      name: unique('Maintenance'),
      body: 'Planned work',
      scheduled_for: new Date(Date.now() + 86_400_000).toISOString(),
      scheduled_until: new Date(Date.now() + 90_000_000).toISOString(),
      components: [app.scenario.components.dashboard.id],
    }),
    allowed: commsUp,
    status: 201,
  },
  'GET /api/v1/maintenances/{id}': {
    params: async () => ({ id: app.scenario.incidents.maintenance.id }),
    allowed: everyone,
    status: 200,
  },
  'PATCH /api/v1/maintenances/{id}': {
    params: async () => ({ id: app.scenario.incidents.maintenance.id }),
    body: () => ({ auto_start: true }),
    allowed: commsUp,
    status: 200,
  },
  'GET /api/v1/subscribers': { allowed: everyone, status: 200 },
  'POST /api/v1/subscribers': {
    body: () => ({ email: `${unique('sub')}@example.com` }),
    allowed: commsUp,
    status: 201,
  },
  'DELETE /api/v1/subscribers/{id}': {
    params: async () => ({ id: await make('/api/v1/subscribers', { email: `${unique('gone')}@example.com` }) }),
    allowed: commsUp,
    status: 204,
  },
  'GET /api/v1/updates/{id}/deliveries': {
    params: async () => {
      const incident = await api('admin', 'GET', `/api/v1/incidents/${app.scenario.incidents.active.id}`);
      return { id: incident.json.incident_updates[0].id };
    },
    allowed: everyone,
    status: 200,
  },
};

function fill(pattern: string, params: Record<string, string>): string {
  return pattern.replace(/\{(\w+)\}/g, (_, name: string) => params[name]);
}

function expectErrorShape(res: { status: number; json: any; text: string; headers: Headers }, label: string) {
  expect(res.headers.get('content-type'), label).toBe('application/json; charset=utf-8');
  expect(res.json, `${label}: ${res.text}`).toEqual({
    error: expect.objectContaining({ message: expect.any(String) }),
  });
  expect(
    Object.keys(res.json.error).every((k) => k === 'message' || k === 'fields'),
    label,
  ).toBe(true);
}

/** Authenticated by a signature, not a bearer token: covered by test/http/resend-webhook.test.ts. */
const SIGNED_ROUTES = new Set(['POST /api/v1/hooks/resend']);

describe('every route × every caller', () => {
  it('each route file is a v1Route exported as ALL, and every method has a case', async () => {
    const seen: string[] = [];
    for (const { pattern, file } of routeFiles()) {
      const mod = (await import(pathToFileURL(file).href)) as { ALL?: V1Route };
      expect(Object.keys(mod), file).toEqual(['ALL']);
      expect(mod.ALL!.methods.length, file).toBeGreaterThan(0);
      for (const method of mod.ALL!.methods) {
        if (!SIGNED_ROUTES.has(`${method} ${pattern}`)) seen.push(`${method} ${pattern}`);
      }
    }
    expect(seen.sort()).toEqual(Object.keys(CASES).sort());
  });

  for (const [key, c] of Object.entries(CASES)) {
    const [method, pattern] = key.split(' ');
    it(key, async () => {
      for (const caller of CALLERS) {
        const params = c.params ? await c.params() : {};
        const res = await call(caller, method, fill(pattern, params), c.body?.());
        const label = `${key} as ${caller}`;
        const expected =
          caller === 'none' || caller === 'bad' ? 401 : c.allowed.includes(caller as Role) ? c.status : 403;
        expect(res.status, `${label}: ${res.text}`).toBe(expected);
        if (expected >= 400) expectErrorShape(res, label);
        else if (expected === 204) expect(res.text, label).toBe('');
        else expect(res.headers.get('content-type'), label).toBe('application/json; charset=utf-8');
        expect(res.headers.get('cache-control'), label).toBe('no-store');
      }
    });
  }

  it('answers 405 with Allow for every method a route does not have, before asking for a token', async () => {
    for (const { pattern, file } of routeFiles()) {
      const { ALL } = (await import(pathToFileURL(file).href)) as { ALL: V1Route };
      const urlPath = fill(pattern, { id: 'abc123' });
      for (const method of ['GET', 'POST', 'PATCH', 'DELETE', 'PUT']) {
        if ((ALL.methods as string[]).includes(method)) continue;
        const res = await call('none', method, urlPath, method === 'GET' ? undefined : {});
        expect(res.status, `${method} ${urlPath}`).toBe(405);
        expectErrorShape(res, `${method} ${urlPath}`);
        expect(res.headers.get('allow')!.split(', ')).toEqual(expect.arrayContaining([...ALL.methods, 'OPTIONS']));
      }
    }
  });

  it('401 says how to authenticate; a viewer reads internal data (a staff API)', async () => {
    const none = await api('none', 'GET', '/api/v1/components');
    expect(none.json.error.message).toMatch(/Authorization: Bearer/);
    const components = await api('viewer', 'GET', '/api/v1/components');
    expect(components.text).toContain(INTERNAL_MARKER);
    const secret = components.json.components.find(
      (c: { id: string }) => c.id === app.scenario.components.secretComponent.id,
    );
    expect(secret).toMatchObject({ visibility: 'internal', group: false });
    const incident = await api('viewer', 'GET', `/api/v1/incidents/${app.scenario.incidents.active.id}`);
    expect(incident.json).toMatchObject({ severity: 2, impact: 'major', visibility: 'public', kind: 'incident' });
    expect(incident.json.incident_updates.map((u: { audience: string }) => u.audience).sort()).toEqual([
      'internal',
      'public',
      'public',
    ]);
  });
});

/** Every public surface, for the leak checks. */
function publicPaths(incidentId: string, componentIds: string[]): string[] {
  return [
    '/',
    '/history',
    `/incidents/${incidentId}`,
    '/feed.rss',
    ...componentIds.map((id) => `/components/${id}/feed.rss`),
    ...V2_ENDPOINTS.map((e) => `/api/v2/${e}.json`),
  ];
}

describe('a comms person runs an incident through the API', () => {
  it('creates it from the external template, posts an internal update, resolves it', async () => {
    const search = await make('/api/v1/components', { name: 'Search', visibility: 'public', status: 'operational' });
    const exports = await make('/api/v1/components', { name: 'Exports', visibility: 'public', status: 'operational' });

    const create = {
      template_id: DEFAULT_TEMPLATE_IDS.investigating.external,
      severity: 2,
      visibility: 'public',
      components: { [search]: 'partial_outage', [exports]: 'degraded_performance' },
    };
    const created = await call('comms', 'POST', '/api/v1/incidents', create, { 'idempotency-key': 'flow-1' });
    expect(created.status, created.text).toBe(201);
    const incident = created.json;
    expect(incident).toMatchObject({
      name: 'Investigating issues with Search and Exports',
      status: 'investigating',
      impact: 'major',
      severity: 2,
      visibility: 'public',
      source: 'api',
    });
    expect(incident.incident_updates[0]).toMatchObject({
      body: 'We are looking into problems with Search and Exports and will post updates here soon.',
      audience: 'public',
      deliver_notifications: true,
    });
    // A double submit returns the same incident.
    const again = await call('comms', 'POST', '/api/v1/incidents', create, { 'idempotency-key': 'flow-1' });
    expect(again.json.id).toBe(incident.id);

    const summary = await (await fetch(`${app.server.url}/api/v2/summary.json`)).json();
    expect(summary.incidents.map((i: { id: string }) => i.id)).toContain(incident.id);
    const statuses = Object.fromEntries(
      summary.components.map((c: { id: string; status: string }) => [c.id, c.status]),
    );
    expect(statuses).toMatchObject({ [search]: 'partial_outage', [exports]: 'degraded_performance' });
    const feed = await (await fetch(`${app.server.url}/feed.rss`)).text();
    expect(feed).toContain('Investigating issues with Search and Exports');

    const marker = 'ZZ-FLOW-INTERNAL-NOTE';
    const note = await api('comms', 'POST', `/api/v1/incidents/${incident.id}/updates`, {
      status: 'investigating',
      body: `Root cause: ${marker}`,
      audience: 'internal',
    });
    expect(note.status, note.text).toBe(201);
    expect(note.json).toMatchObject({ audience: 'internal', deliver_notifications: false });
    for (const p of publicPaths(incident.id, [search, exports])) {
      const res = await fetch(app.server.url + p);
      expect(res.status, p).toBe(200);
      expect(await res.text(), p).not.toContain(marker);
    }
    const staff = await api('viewer', 'GET', `/api/v1/incidents/${incident.id}`);
    expect(staff.text).toContain(marker);

    const resolved = await api('comms', 'POST', `/api/v1/incidents/${incident.id}/updates`, {
      status: 'resolved',
      body: 'Search and exports work normally again.',
    });
    expect(resolved.status, resolved.text).toBe(201);
    expect(
      resolved.json.affected_components.map((a: { code: string; new_status: string }) => [a.code, a.new_status]).sort(),
    ).toEqual(
      [
        [exports, 'operational'],
        [search, 'operational'],
      ].sort(),
    );
    for (const id of [search, exports]) {
      expect((await api('viewer', 'GET', `/api/v1/components/${id}`)).json.status).toBe('operational');
    }
    const after = await (await fetch(`${app.server.url}/api/v2/summary.json`)).json();
    expect(after.incidents.map((i: { id: string }) => i.id)).not.toContain(incident.id);
    const deliveries = await api('viewer', 'GET', `/api/v1/updates/${resolved.json.id}/deliveries`);
    expect(deliveries.json).toEqual({ total: 0, pending: 0, sent: 0, failed: 0 });
  });

  it('a responder cannot publish; the answer says what role it takes', async () => {
    const res = await api('responder', 'POST', `/api/v1/incidents/${app.scenario.incidents.active.id}/updates`, {
      status: 'identified',
      body: 'x',
      audience: 'public',
    });
    expect(res.status).toBe(403);
    expect(res.json.error.message).toMatch(/comms or above \(incident:publish\)/);
    const internal = await api('admin', 'POST', `/api/v1/incidents/${app.scenario.incidents.internal.id}/updates`, {
      status: 'identified',
      body: 'x',
      audience: 'public',
    });
    expect(internal.status).toBe(422);
    expect(internal.json.error.fields.audience).toMatch(/internal updates only/);
  });
});

describe('bad input', () => {
  it('missing fields: 422 naming each', async () => {
    const res = await api('comms', 'POST', '/api/v1/incidents', {});
    expect(res.status).toBe(422);
    expectErrorShape(res, 'missing');
    expect(Object.keys(res.json.error.fields).sort()).toEqual(['body', 'name', 'severity', 'status']);
  });

  it('wrong types: 422 naming each, with the API field names', async () => {
    const res = await api('comms', 'POST', '/api/v1/incidents', {
      name: 42,
      status: 'investigating',
      severity: 'high',
      body: 'x',
      notify: 'yes',
      components: ['a'],
    });
    expect(res.status).toBe(422);
    expect(Object.keys(res.json.error.fields).sort()).toEqual(['components', 'name', 'notify', 'severity']);
    const group = await api('admin', 'POST', '/api/v1/components', { name: 'x', group_id: 'nosuchgroup' });
    expect(group.json.error.fields).toEqual({ group_id: 'There is no component group nosuchgroup' });
  });

  it('unknown component ids: 422 naming them', async () => {
    const res = await api('comms', 'POST', '/api/v1/incidents', {
      name: 'x',
      status: 'investigating',
      severity: 3,
      visibility: 'public',
      body: 'x',
      components: { nosuch1: 'major_outage', [app.scenario.components.rest.id]: 'major_outage' },
    });
    expect(res.status).toBe(422);
    expect(res.json.error.fields).toEqual({ components: 'No such component: nosuch1' });
  });

  it('invalid dates: 422 on the field', async () => {
    const base = { name: 'M', body: 'b', components: [app.scenario.components.rest.id] };
    const bad = await api('comms', 'POST', '/api/v1/maintenances', {
      ...base,
      scheduled_for: 'next tuesday',
      scheduled_until: '2026-13-45T00:00:00Z',
    });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.json.error.fields).sort()).toEqual(['scheduled_for', 'scheduled_until']);
    const reversed = await api('comms', 'POST', '/api/v1/maintenances', {
      ...base,
      scheduled_for: '2030-01-02T00:00:00Z',
      scheduled_until: '2030-01-01T00:00:00Z',
    });
    expect(reversed.status).toBe(422);
    expect(Object.keys(reversed.json.error.fields)).toEqual(['scheduled_until']);
  });

  it('malformed JSON, not an object, an empty body, or another content type: 400', async () => {
    const cases: [string, Record<string, string>][] = [
      ['{"name": ', {}],
      ['[1, 2]', {}],
      ['"text"', {}],
      ['', {}],
      ['<incident/>', { 'content-type': 'application/xml' }],
      ['{"name": "x"}', { 'content-type': 'application/jsonx' }],
    ];
    for (const [body, headers] of cases) {
      const res = await call('admin', 'POST', '/api/v1/component-groups', body, headers);
      expect(res.status, `${body} ${JSON.stringify(headers)}`).toBe(400);
      expectErrorShape(res, body);
    }
  });

  it('a body over 64 KiB: 413, whether Content-Length says so or not', async () => {
    const big = JSON.stringify({ name: 'x', description: 'y'.repeat(70_000) });
    const declared = await call('admin', 'POST', '/api/v1/component-groups', big);
    expect(declared.status).toBe(413);
    expectErrorShape(declared, 'declared');
    // Chunked: no Content-Length, the size is counted while reading.
    const chunk = new TextEncoder().encode(big);
    const res = await fetch(`${app.server.url}/api/v1/component-groups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin}` },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(chunk.slice(0, 40_000));
          controller.enqueue(chunk.slice(40_000));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).error.message).toMatch(/64 KiB/);
    // Just under the limit is fine (and then too long for a description: 422, not 413).
    const under = await api('admin', 'POST', '/api/v1/component-groups', {
      name: 'x',
      description: 'y'.repeat(60_000),
    });
    expect(under.status).toBe(422);
  });

  it('unknown and malformed ids: 404 JSON', async () => {
    for (const p of ['/api/v1/components/nosuch', '/api/v1/components/NOT-AN-ID', '/api/v1/incidents/nosuch']) {
      const res = await api('viewer', 'GET', p);
      expect(res.status, p).toBe(404);
      expectErrorShape(res, p);
    }
    // A maintenance is not an incident, and the other way round.
    expect((await api('viewer', 'GET', `/api/v1/incidents/${app.scenario.incidents.maintenance.id}`)).status).toBe(404);
    expect((await api('viewer', 'GET', `/api/v1/maintenances/${app.scenario.incidents.active.id}`)).status).toBe(404);
    expect((await api('viewer', 'GET', '/api/v1/updates/nosuch/deliveries')).status).toBe(404);
  });

  it('conflicts: 409', async () => {
    const email = `${unique('twice')}@example.com`;
    expect((await api('comms', 'POST', '/api/v1/subscribers', { email })).status).toBe(201);
    const again = await api('comms', 'POST', '/api/v1/subscribers', { email });
    expect(again.status).toBe(409);
    expectErrorShape(again, 'duplicate subscriber');
  });

  it('the status of an incident changes only with an update', async () => {
    const res = await api('admin', 'PATCH', `/api/v1/incidents/${app.scenario.incidents.active.id}`, {
      status: 'resolved',
    });
    expect(res.status).toBe(422);
    expect(res.json.error.fields).toEqual({ status: 'The status changes with an update: post one instead' });
    const bad = await api('viewer', 'GET', '/api/v1/incidents?page=0');
    expect(bad.status).toBe(422);
  });
});

describe('scripts that send no Origin and no Content-Type', () => {
  // Scripts send no Origin and often no Content-Type: the API takes them on the token alone.
  it('can DELETE with a bearer token alone', async () => {
    const id = await make('/api/v1/component-groups', { name: unique('Script target') });
    const res = await fetch(`${app.server.url}/api/v1/component-groups/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${tokens.admin}` },
    });
    expect(res.status).toBe(204);
  });
});
