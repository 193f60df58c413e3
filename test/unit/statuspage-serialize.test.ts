import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ComponentStatus, Impact } from '../../src/domain/enums.ts';
import { buildV2Payload, V2_ENDPOINTS, type V2Endpoint } from '../../src/server/statuspage/serialize.ts';
import type {
  ComponentView,
  GroupView,
  IncidentView,
  StatusPageData,
  UpdateView,
} from '../../src/server/status-page/queries.ts';

// The real Statuspage responses: a copy of ../shared/fixtures kept in the repo.
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/statuspage');

const fixtureFiles = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort();
const readFixture = (file: string): unknown => JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8'));

/** Which endpoint each fixture file is a response of. */
function endpointOf(file: string): V2Endpoint {
  const name = file.replace(/^[a-z]+-/, '').replace(/-\d{4}-.*$/, '');
  const endpoint = name
    .replace('scheduled-maintenances-', 'scheduled-maintenances/')
    .replace('incidents-', 'incidents/');
  if (!(V2_ENDPOINTS as readonly string[]).includes(endpoint)) throw new Error(`no endpoint for fixture ${file}`);
  return endpoint as V2Endpoint;
}

// ---------------------------------------------------------------------------------------
// A shape learned from a fixture: the JSON types seen at each place, whether null was seen,
// an object's keys and an array's element shape. Every element of a fixture array feeds the
// element shape (the first is the template; the others can only add keys or nullability).

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array';
type Shape = { kinds: Set<Kind>; nullable: boolean; keys: Map<string, Shape>; element: Shape | null; date: boolean };

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function emptyShape(): Shape {
  return { kinds: new Set(), nullable: false, keys: new Map(), element: null, date: false };
}

function kindOf(value: unknown): Kind {
  return Array.isArray(value) ? 'array' : (typeof value as Kind);
}

function learn(value: unknown, shape = emptyShape()): Shape {
  if (value === null) {
    shape.nullable = true;
    return shape;
  }
  shape.kinds.add(kindOf(value));
  if (Array.isArray(value)) {
    for (const item of value) shape.element = learn(item, shape.element ?? emptyShape());
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) shape.keys.set(k, learn(v, shape.keys.get(k)));
  } else if (typeof value === 'string' && ISO_DATE.test(value)) {
    shape.date = true;
  }
  return shape;
}

/**
 * Keys that some real response sets to null (a maintenance not yet verified has no
 * `monitoring_at`, a component outside a group no `group_id`, an update that changed no
 * component `affected_components: null`...). One file shows only a sample of values, so
 * ours may be null for these even where that file happens to have a string or an array.
 */
function nullableKeys(fixtures: unknown[]): Set<string> {
  const keys = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (child === null) keys.add(k);
        walk(child);
      }
    }
  };
  fixtures.forEach(walk);
  return keys;
}

const NULLABLE = nullableKeys(fixtureFiles.map(readFixture));

/**
 * Every place where ours lacks a key the fixture has, or has another JSON type. Fixture
 * arrays that had elements are recorded in `exercised` when ours had some too, so a test can
 * tell a real comparison from one that checked nothing.
 */
function mismatches(ours: unknown, shape: Shape, at: string, exercised: Set<Shape>, key = ''): string[] {
  if (shape.kinds.size === 0) return []; // Only null in the fixture: anything goes.
  if (ours === null) return shape.nullable || NULLABLE.has(key) ? [] : [`${at}: null, fixture has ${[...shape.kinds]}`];
  if (ours === undefined) return [`${at}: missing`];
  const kind = kindOf(ours);
  if (!shape.kinds.has(kind)) return [`${at}: ${kind}, fixture has ${[...shape.kinds]}`];
  if (kind === 'string' && shape.date && !ISO_DATE.test(ours as string))
    return [`${at}: ${JSON.stringify(ours)} is not an ISO time`];
  if (kind === 'array') {
    const list = ours as unknown[];
    if (!shape.element || shape.element.kinds.size === 0) return [];
    if (list.length) exercised.add(shape);
    return list.flatMap((item, i) => mismatches(item, shape.element!, `${at}[${i}]`, exercised));
  }
  if (kind === 'object') {
    const obj = ours as Record<string, unknown>;
    return [...shape.keys].flatMap(([k, s]) =>
      k in obj ? mismatches(obj[k], s, `${at}.${k}`, exercised, k) : [`${at}.${k}: missing`],
    );
  }
  return [];
}

/** The fixture arrays with elements that ours never filled, so their element shape went unchecked. */
function unexercised(shape: Shape, exercised: Set<Shape>, at: string): string[] {
  const own = shape.element && shape.element.kinds.size > 0 && !exercised.has(shape) ? [at] : [];
  const children = [...shape.keys].flatMap(([k, s]) => unexercised(s, exercised, `${at}.${k}`));
  const items = shape.element ? unexercised(shape.element, exercised, `${at}[]`) : [];
  return [...own, ...children, ...items];
}

/** Compares ours with a fixture; returns readable problems, empty when compatible. */
function compareWithFixture(ours: unknown, fixture: unknown): string[] {
  const shape = learn(fixture);
  const exercised = new Set<Shape>();
  const problems = mismatches(ours, shape, '$', exercised);
  return [
    ...problems,
    ...unexercised(shape, exercised, '$').map((p) => `${p}: never filled by our data, so not checked`),
  ];
}

// ---------------------------------------------------------------------------------------
// An in-memory page: two groups with children, a component outside any group, open and
// resolved incidents with updates and affected components, and maintenances in each state.

const NOW = new Date('2025-03-10T12:00:00.000Z');
const SITE = 'https://status.example.com';
const at = (hours: number) => new Date(NOW.getTime() + hours * 3_600_000);

function component(
  id: string,
  name: string,
  status: ComponentStatus,
  extra: Partial<ComponentView> = {},
): ComponentView {
  return {
    id,
    groupId: null,
    name,
    description: `${name} description`,
    position: 1,
    visibility: 'public',
    status,
    showcase: true,
    onlyShowIfDegraded: false,
    startDate: null,
    createdAt: at(-1000),
    updatedAt: at(-2),
    ...extra,
  };
}

function group(id: string, name: string, position: number, children: ComponentView[]): GroupView {
  return {
    id,
    name,
    description: null,
    position,
    visibility: 'public',
    collapsed: false,
    status: 'operational', // Deliberately stale: the serializer must derive it from the children.
    createdAt: at(-2000),
    updatedAt: at(-3),
    components: children,
  };
}

function update(
  incidentId: string,
  id: string,
  status: IncidentView['status'],
  hours: number,
  affected: UpdateView['affected'] = [],
): UpdateView {
  return {
    id,
    incidentId,
    status,
    body: `Update ${id}\r\nwith two lines`,
    audience: 'public',
    notify: true,
    displayAt: at(hours),
    createdAt: at(hours),
    updatedAt: at(hours),
    affected,
  };
}

function incident(
  id: string,
  fields: Partial<IncidentView> & { status: IncidentView['status']; impact: Impact },
): IncidentView {
  return {
    id,
    number: 1,
    kind: 'incident',
    name: `Incident ${id}`,
    severity: 2,
    visibility: 'public',
    startedAt: at(-2),
    identifiedAt: null,
    monitoringAt: null,
    resolvedAt: null,
    scheduledFor: null,
    scheduledUntil: null,
    createdAt: at(-2),
    updatedAt: at(-1),
    components: [],
    updates: [],
    ...fields,
  };
}

function samplePage(): StatusPageData {
  const rest = component('restapi00001', 'REST API', 'partial_outage', { groupId: 'grpapi000001', position: 1 });
  const hooks = component('webhooks0001', 'Webhooks', 'degraded_performance', { groupId: 'grpapi000001', position: 2 });
  const dash = component('dashboard001', 'Dashboard', 'operational', {
    groupId: 'grpweb000001',
    position: 1,
    description: null,
  });
  const cdn = component('cdn000000001', 'CDN', 'operational', {
    position: 3,
    startDate: '2024-01-01',
    showcase: false,
  });
  const api = group('grpapi000001', 'API', 1, [rest, hooks]);
  const web = group('grpweb000001', 'Website', 2, [dash]);

  const open = incident('incopen00001', {
    status: 'identified',
    impact: 'major',
    startedAt: at(-2),
    components: [rest, hooks],
    updates: [
      update('incopen00001', 'upd000000002', 'identified', -1, [
        { componentId: hooks.id, name: hooks.name, oldStatus: 'operational', newStatus: 'degraded_performance' },
      ]),
      update('incopen00001', 'upd000000001', 'investigating', -2, [
        { componentId: rest.id, name: rest.name, oldStatus: 'operational', newStatus: 'partial_outage' },
      ]),
    ],
  });
  const watching = incident('incwatch0001', {
    status: 'monitoring',
    impact: 'minor',
    startedAt: at(-5),
    monitoringAt: at(-4),
    updates: [
      update('incwatch0001', 'upd000000003', 'monitoring', -4),
      update('incwatch0001', 'upd000000004', 'investigating', -5),
    ],
  });
  const resolved = incident('incdone00001', {
    status: 'resolved',
    impact: 'critical',
    startedAt: at(-100),
    monitoringAt: at(-99),
    resolvedAt: at(-98),
    components: [dash],
    updates: [
      update('incdone00001', 'upd000000005', 'resolved', -98, [
        { componentId: dash.id, name: dash.name, oldStatus: 'major_outage', newStatus: 'operational' },
      ]),
      update('incdone00001', 'upd000000006', 'investigating', -100, [
        { componentId: dash.id, name: dash.name, oldStatus: 'operational', newStatus: 'major_outage' },
      ]),
    ],
  });

  const maintenance = (
    id: string,
    status: IncidentView['status'],
    from: number,
    hours: number,
    fields: Partial<IncidentView> = {},
  ) =>
    incident(id, {
      kind: 'maintenance',
      severity: null,
      status,
      impact: 'maintenance',
      startedAt: at(from - 48),
      createdAt: at(from - 48),
      scheduledFor: at(from),
      scheduledUntil: at(from + hours),
      components: [cdn],
      updates: [update(id, `u${id.slice(1)}`, 'scheduled', from - 48)],
      ...fields,
    });
  const soon = maintenance('mntsoon00001', 'scheduled', 24, 2);
  const later = maintenance('mntlater0001', 'scheduled', 72, 1);
  const running = maintenance('mntrun000001', 'in_progress', -1, 3, {
    updates: [
      update('mntrun000001', 'upd000000007', 'in_progress', -1, [
        { componentId: cdn.id, name: cdn.name, oldStatus: 'operational', newStatus: 'under_maintenance' },
      ]),
      update('mntrun000001', 'upd000000008', 'scheduled', -49),
    ],
  });
  const completed = maintenance('mntdone00001', 'completed', -200, 1, {
    monitoringAt: at(-199.5),
    resolvedAt: at(-199),
  });

  return {
    settings: {
      id: 1,
      pageId: 'page00000001',
      pageName: 'Acme',
      homeUrl: null,
      logoUrl: null,
      accentColor: null,
      timeZone: 'Europe/Paris',
      locale: 'en',
      emailFrom: null,
      severityDefinitions: null,
      updatedAt: at(-500),
    },
    groups: [api, web],
    components: [rest, hooks, dash, cdn],
    items: [
      { type: 'group', group: api },
      { type: 'group', group: web },
      { type: 'component', component: cdn },
    ],
    unresolvedIncidents: [open, watching],
    recentIncidents: [open, watching, resolved],
    activeMaintenances: [running],
    // Out of order on purpose: the payload must list the soonest first.
    upcomingMaintenances: [later, soon],
    recentMaintenances: [later, soon, running, completed],
    history: null,
    updatedAt: at(-1),
  };
}

// ---------------------------------------------------------------------------------------

describe('v2 payloads have the fields and JSON types of real Statuspage responses', () => {
  it('finds the fixtures', () => {
    expect(fixtureFiles.length).toBeGreaterThanOrEqual(12);
    expect(new Set(fixtureFiles.map(endpointOf))).toEqual(new Set(V2_ENDPOINTS));
  });

  for (const file of fixtureFiles) {
    it(`${file} (${endpointOf(file)})`, () => {
      const fixture = readFixture(file);
      const ours = JSON.parse(JSON.stringify(buildV2Payload(endpointOf(file), samplePage(), SITE)));
      expect(compareWithFixture(ours, fixture)).toEqual([]);
    });
  }
});

describe('the fixture comparison itself', () => {
  const fixture = readFixture('discord-incidents-2022-02.json');
  const ours = () => JSON.parse(JSON.stringify(buildV2Payload('incidents', samplePage(), SITE)));

  it('fails when a key is missing, however deep', () => {
    const missingTop = ours();
    delete missingTop.incidents[1].shortlink;
    expect(compareWithFixture(missingTop, fixture)).toEqual(['$.incidents[1].shortlink: missing']);

    const missingDeep = ours();
    delete missingDeep.incidents[0].incident_updates[0].affected_components[0].old_status;
    expect(compareWithFixture(missingDeep, fixture)).toEqual([
      '$.incidents[0].incident_updates[0].affected_components[0].old_status: missing',
    ]);
  });

  it('fails on another JSON type, and on null where the fixture never has one', () => {
    const wrongType = ours();
    wrongType.incidents[0].components[0].position = '1';
    wrongType.incidents[0].name = null;
    expect(compareWithFixture(wrongType, fixture)).toEqual([
      '$.incidents[0].name: null, fixture has string',
      '$.incidents[0].components[0].position: string, fixture has number',
    ]);
  });

  it('fails when a time is not ISO 8601', () => {
    const badTime = ours();
    badTime.page.updated_at = 'yesterday';
    expect(compareWithFixture(badTime, fixture)).toEqual(['$.page.updated_at: "yesterday" is not an ISO time']);
  });

  it('fails when our data leaves a fixture array empty, since nothing would be checked', () => {
    const empty = ours();
    for (const i of empty.incidents) i.components = [];
    expect(compareWithFixture(empty, fixture)).toEqual([
      '$.incidents[].components: never filled by our data, so not checked',
    ]);
  });

  it('accepts null where real responses have null (affected_components, resolved_at...), and anything against a null', () => {
    expect([...NULLABLE]).toEqual(
      expect.arrayContaining(['affected_components', 'resolved_at', 'monitoring_at', 'group_id']),
    );
    const o = ours();
    expect(o.incidents[1].incident_updates[0].affected_components).toBeNull();
    expect(o.incidents[0].resolved_at).toBeNull();
    o.incidents[0].incident_updates[0].custom_tweet = 'a string where the fixture has null';
    expect(compareWithFixture(o, fixture)).toEqual([]);
  });
});

describe('buildV2Payload', () => {
  const data = samplePage();
  const get = <T>(endpoint: V2Endpoint) => buildV2Payload(endpoint, data, `${SITE}/`) as T;
  type Json = Record<string, unknown>;

  it('describes the page', () => {
    expect(get<{ page: Json }>('status').page).toEqual({
      id: 'page00000001',
      name: 'Acme',
      url: SITE,
      time_zone: 'Europe/Paris',
      updated_at: '2025-03-10T11:00:00.000Z',
    });
  });

  it('lists groups as components with their children ids, children pointing back, in page order', () => {
    const { components } = get<{ components: Json[] }>('components');
    expect(components.map((c) => [c.id, c.group, c.group_id ?? null])).toEqual([
      ['grpapi000001', true, null],
      ['restapi00001', false, 'grpapi000001'],
      ['webhooks0001', false, 'grpapi000001'],
      ['grpweb000001', true, null],
      ['dashboard001', false, 'grpweb000001'],
      ['cdn000000001', false, null],
    ]);
    const api = components[0];
    expect(api.components).toEqual(['restapi00001', 'webhooks0001']);
    expect(api.status).toBe('partial_outage'); // The worst of its children.
    expect(components[3].status).toBe('operational');
    expect(components[1]).not.toHaveProperty('components');
    expect(components.every((c) => c.page_id === 'page00000001')).toBe(true);
    expect(components[5]).toMatchObject({ start_date: '2024-01-01', showcase: false, description: 'CDN description' });
  });

  it('writes incidents newest first, with shortlinks, updates newest first and affected components', () => {
    const { incidents } = get<{ incidents: Json[] }>('incidents');
    expect(incidents.map((i) => i.id)).toEqual(['incopen00001', 'incwatch0001', 'incdone00001']);
    const open = incidents[0];
    expect(open).toMatchObject({
      status: 'identified',
      impact: 'major',
      shortlink: `${SITE}/incidents/incopen00001`,
      monitoring_at: null,
      resolved_at: null,
      page_id: 'page00000001',
      reminder_intervals: null,
    });
    expect(open).not.toHaveProperty('scheduled_for');
    const updates = open.incident_updates as Json[];
    expect(updates.map((u) => u.id)).toEqual(['upd000000002', 'upd000000001']);
    expect(updates[0]).toMatchObject({
      incident_id: 'incopen00001',
      deliver_notifications: true,
      custom_tweet: null,
      tweet_id: null,
      affected_components: [
        { code: 'webhooks0001', name: 'Webhooks', old_status: 'operational', new_status: 'degraded_performance' },
      ],
    });
    expect((open.components as Json[]).map((c) => c.id)).toEqual(['restapi00001', 'webhooks0001']);
    expect(incidents[2]).toMatchObject({
      resolved_at: '2025-03-06T10:00:00.000Z',
      monitoring_at: '2025-03-06T09:00:00.000Z',
    });
  });

  it('keeps only open incidents in unresolved.json', () => {
    const { incidents } = get<{ incidents: Json[] }>('incidents/unresolved');
    expect(incidents.map((i) => i.status)).toEqual(['identified', 'monitoring']);
  });

  it('lists upcoming maintenances soonest first, with their window', () => {
    const { scheduled_maintenances: list } = get<{ scheduled_maintenances: Json[] }>('scheduled-maintenances/upcoming');
    expect(list.map((m) => m.id)).toEqual(['mntsoon00001', 'mntlater0001']);
    expect(list[0]).toMatchObject({
      impact: 'maintenance',
      scheduled_for: '2025-03-11T12:00:00.000Z',
      scheduled_until: '2025-03-11T14:00:00.000Z',
    });
  });

  it('lists active maintenances, all maintenances newest first, and both open kinds in the summary', () => {
    const active = get<{ scheduled_maintenances: Json[] }>('scheduled-maintenances/active').scheduled_maintenances;
    expect(active.map((m) => m.id)).toEqual(['mntrun000001']);
    const all = get<{ scheduled_maintenances: Json[] }>('scheduled-maintenances').scheduled_maintenances;
    expect(all.map((m) => m.id)).toEqual(['mntlater0001', 'mntsoon00001', 'mntrun000001', 'mntdone00001']);
    const summary = get<{ incidents: Json[]; scheduled_maintenances: Json[]; components: Json[] }>('summary');
    expect(summary.scheduled_maintenances.map((m) => m.id)).toEqual(['mntrun000001', 'mntsoon00001', 'mntlater0001']);
    expect(summary.incidents.map((i) => i.id)).toEqual(['incopen00001', 'incwatch0001']);
    expect(summary.components).toHaveLength(6);
  });

  it('takes the overall status from the domain: components, open incidents and active maintenance', () => {
    // A partial outage among healthy components reads "minor", even under a "major" incident, as on GitHub's page.
    expect(get<{ status: Json }>('status').status).toEqual({ indicator: 'minor', description: 'Minor Service Outage' });

    const calm: StatusPageData = {
      ...data,
      components: data.components.map((c) => ({ ...c, status: 'operational' as const })),
      unresolvedIncidents: [],
      activeMaintenances: [],
    };
    const indicator = (page: StatusPageData) =>
      (buildV2Payload('status', page, SITE) as { status: Json }).status.indicator;
    expect(indicator(calm)).toBe('none');
    expect(buildV2Payload('summary', calm, SITE)).toMatchObject({
      status: { indicator: 'none', description: 'All Systems Operational' },
    });
    expect(indicator({ ...calm, activeMaintenances: data.activeMaintenances })).toBe('maintenance');
    expect(indicator({ ...calm, unresolvedIncidents: [{ ...data.unresolvedIncidents[0], impact: 'critical' }] })).toBe(
      'critical',
    );
  });
});
