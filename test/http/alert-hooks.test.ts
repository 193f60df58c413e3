/**
 * `POST /api/v1/hooks/alertmanager` and `/grafana` on the built server: every fixture from
 * test/fixtures/alerts gives its answer, twice the same; bad tokens, roles and bodies are
 * refused with the API's error shape.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertMappings } from '../../src/db/schema/index.ts';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { createSession } from '../../src/server/auth/sessions.ts';
import { addUser, createApiToken } from '../../src/server/users/service.ts';
import { createBrowser } from '../helpers/browser.ts';
import { startScenarioServer } from '../helpers/server.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/alerts');
const PASSWORD = 'correct-horse-battery';
const read = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

type App = Awaited<ReturnType<typeof start>>;
const start = () =>
  startScenarioServer(
    {},
    {
      async prepare(db, scenario) {
        await db.insert(alertMappings).values({
          labelName: 'instance',
          labelValue: 'https://server.example.org',
          componentId: scenario.components.rest.id,
          status: 'partial_outage',
        });
        const token = async (role: 'viewer' | 'responder') =>
          (await createApiToken(db, SYSTEM_ACTOR, { name: `hooks ${role}`, role })).token;
        const session = async (role: 'viewer' | 'admin') => {
          const { user } = await addUser(db, SYSTEM_ACTOR, {
            email: `hooks-${role}@example.com`,
            role,
            password: PASSWORD,
          });
          return (await createSession(db, user.id)).token;
        };
        return {
          viewer: await token('viewer'),
          responder: await token('responder'),
          sessions: { viewer: await session('viewer'), admin: await session('admin') },
        };
      },
    },
  );

let app: App;
beforeAll(async () => {
  app = await start();
});
afterAll(() => app?.stop());

async function post(hook: string, body: string, token: string | null, headers: Record<string, string> = {}) {
  const res = await fetch(`${app.server.url}/api/v1/hooks/${hook}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body,
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: the assertions say so.
  }
  return { status: res.status, json, text, headers: res.headers };
}

const CASES: [file: string, hook: string, status: number, alerts: number][] = [
  ['alertmanager-v4-famedly-sample-v4-payload.json', 'alertmanager', 201, 1],
  ['alertmanager-v4-prometheus-msteams-prom_post_request.json', 'alertmanager', 201, 1],
  ['alertmanager-v4-resolved-k8s-pythonwebhook-testcurl7.json', 'alertmanager', 200, 0],
  ['grafana-9-resolved-zulip-fixture.json', 'grafana', 200, 0],
  ['grafana-webhook-docs-example.json', 'grafana', 201, 2],
];

function expectError(res: Awaited<ReturnType<typeof post>>, status: number) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(res.json).toEqual({ error: expect.objectContaining({ message: expect.any(String) }) });
}

describe('each fixture, posted twice', () => {
  for (const [file, hook, status, alerts] of CASES) {
    it(`${file} → ${status}, then the same again`, async () => {
      const tokens = app.prepared;
      const first = await post(hook, read(file), tokens.responder);
      expect(first.status, first.text).toBe(status);
      expect(first.headers.get('cache-control')).toBe('no-store');
      expect(first.json).toEqual({
        incident_id: status === 201 ? expect.any(String) : null,
        created: status === 201,
        alerts,
      });
      const second = await post(hook, read(file), tokens.responder);
      expect(second.status, second.text).toBe(200);
      expect(second.json).toEqual({ ...first.json, created: false });

      if (status !== 201) return;
      const incident = await fetch(`${app.server.url}/api/v1/incidents/${first.json.incident_id}`, {
        headers: { authorization: `Bearer ${tokens.viewer}` },
      }).then((r) => r.json());
      expect(incident).toMatchObject({ visibility: 'internal', status: 'investigating', severity: 3 });
      expect(incident.incident_updates).toHaveLength(1);
      // Customers never see the draft.
      const v2 = await fetch(`${app.server.url}/api/v2/incidents.json`).then((r) => r.text());
      expect(v2).not.toContain(first.json.incident_id);
    });
  }

  it('sets the mapped component while firing', async () => {
    const res = await fetch(`${app.server.url}/api/v1/components/${app.scenario.components.rest.id}`, {
      headers: { authorization: `Bearer ${app.prepared.viewer}` },
    }).then((r) => r.json());
    expect(res.status).toBe('partial_outage');
  });
});

describe('refusals', () => {
  const fixture = read('alertmanager-v4-famedly-sample-v4-payload.json');

  it('401 without a token or with an unknown one', async () => {
    for (const hook of ['alertmanager', 'grafana']) {
      expectError(await post(hook, fixture, null), 401);
      expectError(await post(hook, fixture, 'vigie_not-a-real-token'), 401);
    }
  });

  it('403 for a viewer token', async () => {
    for (const hook of ['alertmanager', 'grafana']) expectError(await post(hook, fixture, app.prepared.viewer), 403);
  });

  it('400 for malformed JSON or a body that is not an object', async () => {
    for (const hook of ['alertmanager', 'grafana']) {
      expectError(await post(hook, '{"alerts": [', app.prepared.responder), 400);
      expectError(await post(hook, '[]', app.prepared.responder), 400);
      expectError(await post(hook, fixture, app.prepared.responder, { 'content-type': 'text/plain' }), 400);
    }
  });

  it('413 for a body over the limit', async () => {
    const big = JSON.stringify({ ...JSON.parse(fixture), padding: 'x'.repeat(70 * 1024) });
    expectError(await post('alertmanager', big, app.prepared.responder), 413);
  });

  it('422 for a payload that can never succeed, naming the field', async () => {
    const noAlerts = await post('alertmanager', '{"version": "4", "groupKey": "x"}', app.prepared.responder);
    expectError(noAlerts, 422);
    expect(noAlerts.json.error.fields).toHaveProperty('alerts');
    const badLabels = await post(
      'grafana',
      JSON.stringify({ groupKey: 'x', alerts: [{ status: 'firing', labels: { n: 1 } }] }),
      app.prepared.responder,
    );
    expectError(badLabels, 422);
    expect(badLabels.json.error.fields).toHaveProperty(['alerts.0.labels.n']);
  });

  it('405 for other methods', async () => {
    const res = await fetch(`${app.server.url}/api/v1/hooks/grafana`, { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
  });
});

describe('the admin page of alert mappings', () => {
  const browser = (who: 'viewer' | 'admin') => {
    const b = createBrowser(app.server.url);
    b.cookies.set('vigie_session', app.prepared.sessions[who]);
    return b;
  };

  it('shows the mappings to staff; an admin adds and deletes one', async () => {
    const viewer = await browser('viewer').get('/admin/alerts');
    expect(viewer.status).toBe(200);
    expect(viewer.text).toContain('instance=https://server.example.org');
    expect(viewer.text).not.toContain('Add a mapping');

    const admin = browser('admin');
    const page = await admin.get('/admin/alerts');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Add a mapping');
    const cdn = app.scenario.components.cdn.id;
    const added = await admin.post('/admin/alerts', {
      intent: 'create',
      label_name: 'service',
      label_value: 'edge',
      component_id: cdn,
      status: 'degraded_performance',
    });
    expect(added.status, added.text).toBe(200);
    expect(added.text).toContain('service=edge');
    const id = /<tr id="mapping-(\d+)"[^>]*>(?:(?!<\/tr>)[\s\S])*service=edge/.exec(added.text)?.[1];
    expect(id).toBeDefined();

    const invalid = await admin.post('/admin/alerts', {
      intent: 'create',
      label_name: '',
      label_value: 'edge',
      component_id: cdn,
      status: 'major_outage',
    });
    expect(invalid.status).toBe(422);
    expect(invalid.text).toContain('Give the label name');

    const deleted = await admin.post('/admin/alerts', { intent: 'delete', id: id! });
    expect(deleted.status).toBe(303);
    expect(deleted.location).toBe('/admin/alerts?done=deleted');
    expect((await admin.get('/admin/alerts')).text).not.toContain('service=edge');
  });

  it("refuses a viewer's change and a POST without the CSRF token", async () => {
    const viewer = browser('viewer');
    await viewer.get('/admin/alerts');
    const refused = await viewer.post('/admin/alerts', {
      intent: 'create',
      label_name: 'service',
      label_value: 'nope',
      component_id: app.scenario.components.cdn.id,
      status: 'major_outage',
    });
    expect(refused.status).toBe(403);
    const admin = browser('admin');
    await admin.get('/admin/alerts');
    const forged = await admin.post('/admin/alerts', { intent: 'delete', id: '1', _csrf: null });
    expect(forged.status).toBe(403);
    expect((await admin.get('/admin/alerts')).text).toContain('instance=https://server.example.org');
  });
});
