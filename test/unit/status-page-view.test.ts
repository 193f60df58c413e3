import { describe, expect, it } from 'vitest';
import type { Settings } from '../../src/server/settings/queries.ts';
import { contrastRatio } from '../../src/domain/color.ts';
import type {
  ComponentView,
  GroupView,
  IncidentResponseData,
  IncidentView,
  StatusPageData,
  UpdateView,
} from '../../src/server/status-page/queries.ts';
import {
  assessmentFacts,
  buildHistoryView,
  buildHomeView,
  buildUptimeBars,
  calendarDate,
  groupIsOpen,
  historyHref,
  historyMonths,
  historyRange,
  homeHref,
  incidentFacts,
  incidentItem,
  incidentResponse,
  incidentSeverityLabel,
  INTERNAL_VIEW,
  isComponentShown,
  maintenanceWindow,
  MAX_HISTORY_PAGE,
  pageChrome,
  accentCss,
  parseHistoryPage,
  postmortemView,
  PUBLIC_VIEW,
  safeHttpUrl,
  severityDefinitionView,
  updateItem,
} from '../../src/server/status-page/view.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function settings(overrides: Partial<Settings> = {}): Settings {
  return {
    id: 1,
    pageId: 'page00000001',
    pageName: 'Acme',
    homeUrl: null,
    logoUrl: null,
    accentColor: null,
    timeZone: 'UTC',
    locale: 'en',
    emailFrom: null,
    severityDefinitions: null,
    updatedAt: new Date('2026-01-01T00:00:00Z'),
    ...overrides,
  };
}

function component(overrides: Partial<ComponentView> = {}): ComponentView {
  return {
    id: 'comp00000001',
    groupId: null,
    name: 'API',
    description: null,
    position: 1,
    visibility: 'public',
    status: 'operational',
    showcase: true,
    onlyShowIfDegraded: false,
    startDate: null,
    createdAt: new Date('2025-01-01T00:00:00Z'),
    updatedAt: new Date('2025-01-01T00:00:00Z'),
    ...overrides,
  };
}

function update(overrides: Partial<UpdateView> = {}): UpdateView {
  const at = overrides.displayAt ?? new Date('2026-03-10T10:00:00Z');
  return {
    id: 'upd000000001',
    incidentId: 'inc000000001',
    status: 'investigating',
    body: 'Looking into it',
    audience: 'public',
    notify: true,
    displayAt: at,
    createdAt: at,
    updatedAt: at,
    affected: [],
    ...overrides,
  };
}

function incident(overrides: Partial<IncidentView> = {}): IncidentView {
  const startedAt = overrides.startedAt ?? new Date('2026-03-10T10:00:00Z');
  return {
    id: 'inc000000001',
    number: 1,
    kind: 'incident',
    name: 'API errors',
    status: 'investigating',
    severity: 2,
    impact: 'major',
    visibility: 'public',
    startedAt,
    identifiedAt: null,
    monitoringAt: null,
    resolvedAt: null,
    scheduledFor: null,
    scheduledUntil: null,
    createdAt: startedAt,
    updatedAt: startedAt,
    components: [],
    updates: [],
    ...overrides,
  };
}

describe('parseHistoryPage', () => {
  it('defaults to page 1 and accepts whole numbers up to the limit', () => {
    expect(parseHistoryPage(null)).toEqual({ ok: true, page: 1 });
    expect(parseHistoryPage('1')).toEqual({ ok: true, page: 1 });
    expect(parseHistoryPage('7')).toEqual({ ok: true, page: 7 });
    expect(parseHistoryPage(String(MAX_HISTORY_PAGE))).toEqual({ ok: true, page: MAX_HISTORY_PAGE });
  });

  it('asks for a redirect on an empty value', () => {
    expect(parseHistoryPage('')).toEqual({ ok: false, reason: 'empty' });
    expect(parseHistoryPage('  ')).toEqual({ ok: false, reason: 'empty' });
  });

  it.each(['0', '-1', '1.5', 'abc', '1e3', '01', ' 2', '0x10', String(MAX_HISTORY_PAGE + 1), '99999999999999999999'])(
    'rejects %j',
    (raw) => {
      expect(parseHistoryPage(raw)).toEqual({ ok: false, reason: 'invalid' });
    },
  );
});

describe('historyMonths', () => {
  it('gives the current month and the two before it on page 1, across a year boundary', () => {
    const months = historyMonths(1, new Date('2026-01-15T12:00:00Z'), 'UTC');
    expect(months.map((m) => m.key)).toEqual(['2026-01', '2025-12', '2025-11']);
    expect(months.map((m) => m.label)).toEqual(['January 2026', 'December 2025', 'November 2025']);
    expect(months[0].from.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(months[0].to.toISOString()).toBe('2026-02-01T00:00:00.000Z');
    expect(months[2].from.toISOString()).toBe('2025-11-01T00:00:00.000Z');
  });

  it('walks back three months per page', () => {
    const now = new Date('2026-01-15T12:00:00Z');
    expect(historyMonths(2, now, 'UTC').map((m) => m.key)).toEqual(['2025-10', '2025-09', '2025-08']);
    expect(historyMonths(5, now, 'UTC').map((m) => m.key)).toEqual(['2025-01', '2024-12', '2024-11']);
  });

  it('uses the calendar of the page time zone, daylight saving included', () => {
    // 00:30 on April 1 in Paris (summer time, UTC+2), still March 31 in UTC.
    const now = new Date('2026-03-31T22:30:00Z');
    const months = historyMonths(1, now, 'Europe/Paris');
    expect(months.map((m) => m.key)).toEqual(['2026-04', '2026-03', '2026-02']);
    expect(months[0].from.toISOString()).toBe('2026-03-31T22:00:00.000Z');
    expect(months[0].to.toISOString()).toBe('2026-04-30T22:00:00.000Z');
    // March began in winter time (UTC+1).
    expect(months[1].from.toISOString()).toBe('2026-02-28T23:00:00.000Z');
    expect(historyRange(months)).toEqual({ from: months[2].from, to: months[0].to });
  });

  it('stays valid on the last page', () => {
    const months = historyMonths(MAX_HISTORY_PAGE, new Date('2026-01-15T12:00:00Z'), 'America/New_York');
    expect(months).toHaveLength(3);
    for (const m of months) expect(m.from.getTime()).toBeLessThan(m.to.getTime());
  });
});

describe('buildHistoryView', () => {
  const now = new Date('2026-03-15T12:00:00Z');
  const months = historyMonths(1, now, 'Europe/Paris');

  it('files incidents under the month they started in the page time zone', () => {
    const view = buildHistoryView({
      chrome: pageChrome(settings({ timeZone: 'Europe/Paris' })),
      page: 1,
      months,
      incidents: [
        incident({ id: 'late', name: 'Late February in UTC', startedAt: new Date('2026-02-28T23:30:00Z') }),
        incident({
          id: 'jan',
          name: 'January',
          startedAt: new Date('2026-01-20T10:00:00Z'),
          status: 'resolved',
          resolvedAt: new Date('2026-01-20T12:30:00Z'),
        }),
      ],
      oldest: new Date('2026-01-20T10:00:00Z'),
      now,
    });
    expect(view.months.map((m) => [m.key, m.incidents.map((i) => i.id)])).toEqual([
      ['2026-03', ['late']],
      ['2026-02', []],
      ['2026-01', ['jan']],
    ]);
    expect(view.months[2].incidents[0].duration).toBe('2 h 30 min');
    expect(view.newerHref).toBeNull();
    expect(view.olderHref).toBeNull();
  });

  it('offers older pages only while older incidents exist, and newer ones after page 1', () => {
    const base = { chrome: pageChrome(settings()), months, incidents: [], now };
    expect(buildHistoryView({ ...base, page: 1, oldest: new Date('2025-06-01T00:00:00Z') }).olderHref).toBe(
      '/history?page=2',
    );
    expect(buildHistoryView({ ...base, page: 1, oldest: null }).olderHref).toBeNull();
    // Page 3 holds Sep-Jul 2025: June is older. Page 4 holds Jun-Apr 2025: nothing is older.
    const oldest = new Date('2025-06-01T00:00:00Z');
    expect(buildHistoryView({ ...base, months: historyMonths(3, now, 'UTC'), page: 3, oldest }).olderHref).toBe(
      '/history?page=4',
    );
    const page4 = buildHistoryView({ ...base, months: historyMonths(4, now, 'UTC'), page: 4, oldest });
    expect(page4.newerHref).toBe('/history?page=3');
    expect(page4.olderHref).toBeNull();
    expect(historyHref(1)).toBe('/history');
  });
});

describe('buildUptimeBars', () => {
  const now = new Date('2026-03-15T12:00:00Z');

  it('draws one bar per day with the worst status and an accessible label', () => {
    const c = component({ id: 'c1', name: 'API', createdAt: new Date(now.getTime() - 10 * DAY) });
    const history = [
      { componentId: 'c1', status: 'operational' as const, at: c.createdAt },
      { componentId: 'c1', status: 'partial_outage' as const, at: new Date('2026-03-13T10:00:00Z') },
      { componentId: 'c1', status: 'operational' as const, at: new Date('2026-03-13T12:00:00Z') },
      { componentId: 'other', status: 'major_outage' as const, at: new Date('2026-03-14T10:00:00Z') },
    ];
    const bars = buildUptimeBars([c], history, { now, timeZone: 'UTC' }).get('c1')!;
    expect(bars.days).toHaveLength(90);
    expect(bars.days.at(-1)!.date).toBe('2026-03-15');
    const partial = bars.days.find((d) => d.date === '2026-03-13')!;
    expect(partial.status).toBe('partial_outage');
    expect(partial.tone).toBe('partial');
    // 2 h at 30% weight over 24 h: 97.5%.
    expect(partial.label).toBe('Mar 13, 2026: partial outage for 2 h, 97.50% uptime');
    expect(bars.days.find((d) => d.date === '2026-03-14')!.status).toBe('operational');
    expect(bars.days[0]).toMatchObject({ status: 'no_data', tone: 'none', label: 'Dec 16, 2025: no data' });
    expect(bars.uptimeText).toMatch(/^99\.\d\d% uptime$/);
    expect(bars.summary).toMatch(/^99\.\d\d% uptime over the last 90 days, 1 day with incidents\.$/);
    // The no-data run is one line, then the partial outage day.
    expect(bars.notable).toEqual(['Dec 16, 2025 to Mar 4, 2026: no data', partial.label]);
  });

  it('merges clean and no-data stretches into runs, each trouble day its own', () => {
    const c = component({ id: 'c1', createdAt: new Date(now.getTime() - 10 * DAY) });
    const history = [
      { componentId: 'c1', status: 'operational' as const, at: c.createdAt },
      { componentId: 'c1', status: 'partial_outage' as const, at: new Date('2026-03-13T10:00:00Z') },
      { componentId: 'c1', status: 'operational' as const, at: new Date('2026-03-13T12:00:00Z') },
    ];
    const bars = buildUptimeBars([c], history, { now, timeZone: 'UTC' }).get('c1')!;
    expect(bars.runs).toEqual([
      { start: 0, length: 79, tone: 'none', label: 'Dec 16, 2025 to Mar 4, 2026: no data' },
      { start: 79, length: 8, tone: 'ok', label: 'Mar 5, 2026 to Mar 12, 2026: operational, 100% uptime' },
      { start: 87, length: 1, tone: 'partial', label: 'Mar 13, 2026: partial outage for 2 h, 97.50% uptime' },
      { start: 88, length: 2, tone: 'ok', label: 'Mar 14, 2026 to Mar 15, 2026: operational, 100% uptime' },
    ]);
    // Together the runs cover every day once, in order.
    expect(bars.runs.reduce((n, r) => (r.start === n ? n + r.length : NaN), 0)).toBe(90);
  });

  it('counts days before the start date as no data, and skips components without showcase', () => {
    const shown = component({ id: 'a', startDate: '2026-03-10' });
    const hidden = component({ id: 'b', showcase: false });
    const history = [
      { componentId: 'a', status: 'operational' as const, at: shown.createdAt },
      { componentId: 'b', status: 'operational' as const, at: hidden.createdAt },
    ];
    const map = buildUptimeBars([shown, hidden], history, { now, timeZone: 'UTC' });
    expect(map.has('b')).toBe(false);
    const days = map.get('a')!.days;
    expect(
      days
        .filter((d) => d.status === 'no_data')
        .map((d) => d.date)
        .at(-1),
    ).toBe('2026-03-09');
    expect(days.find((d) => d.date === '2026-03-10')!.status).toBe('operational');
    expect(map.get('a')!.uptimeText).toBe('100% uptime');
  });

  it('says so when there is no data at all', () => {
    const bars = buildUptimeBars([component({ id: 'x' })], [], { now, timeZone: 'UTC', days: 30 }).get('x')!;
    expect(bars.days).toHaveLength(30);
    expect(bars.uptime).toBeNull();
    expect(bars.uptimeText).toBe('No data yet');
    expect(bars.summary).toBe('No uptime data for the last 30 days yet.');
  });
});

describe('incidents', () => {
  const chrome = { timeZone: 'Europe/Paris', locale: 'en' };
  const now = new Date('2026-03-10T13:00:00Z');

  it('describes an open incident with its time so far and sanitized updates, newest first', () => {
    const item = incidentItem(
      incident({
        updates: [
          update({
            id: 'u2',
            status: 'identified',
            body: 'Fix **rolling out**<script>alert(1)</script>',
            displayAt: new Date('2026-03-10T11:00:00Z'),
          }),
          update({
            id: 'u1',
            affected: [{ componentId: 'c', name: 'API', oldStatus: 'operational', newStatus: 'partial_outage' }],
          }),
        ],
      }),
      chrome,
      now,
    );
    expect(item).toMatchObject({
      href: '/incidents/inc000000001',
      impactText: 'Major impact',
      tone: 'partial',
      icon: 'alert',
      statusLabel: 'Investigating',
      closed: false,
      resolved: null,
      duration: '3 h',
    });
    expect(item.started).toEqual({ iso: '2026-03-10T10:00:00.000Z', text: 'Mar 10, 2026, 11:00 CET' });
    expect(item.updates.map((u) => u.id)).toEqual(['u2', 'u1']);
    expect(item.updates[0].html).toContain('<strong>rolling out</strong>');
    expect(item.updates[0].html).not.toContain('<script');
    expect(item.updates[1].affected).toBe('API: Partial outage');
  });

  it('measures a closed incident up to its resolution', () => {
    const item = incidentItem(
      incident({ status: 'resolved', resolvedAt: new Date('2026-03-10T10:45:00Z'), severity: 1, impact: 'critical' }),
      chrome,
      now,
    );
    expect(item).toMatchObject({
      closed: true,
      duration: '45 min',
      statusTone: 'ok',
      tone: 'major',
      impactText: 'Critical impact',
    });
    expect(item.resolved?.iso).toBe('2026-03-10T10:45:00.000Z');
  });

  it('sums up an incident by start, end and duration, and a maintenance by its window', () => {
    const open = incident();
    expect(incidentFacts(incidentItem(open, chrome, now), open)).toEqual([
      {
        label: 'Started',
        text: 'Mar 10, 2026, 11:00 CET',
        time: { iso: '2026-03-10T10:00:00.000Z', text: 'Mar 10, 2026, 11:00 CET' },
      },
      { label: 'Resolved', text: 'Ongoing' },
      { label: 'Duration', text: 'Ongoing, 3 h so far' },
    ]);
    const planned = incident({
      kind: 'maintenance',
      status: 'scheduled',
      severity: null,
      impact: 'maintenance',
      scheduledFor: new Date('2026-03-12T01:00:00Z'),
      scheduledUntil: new Date('2026-03-12T03:30:00Z'),
    });
    const facts = incidentFacts(incidentItem(planned, chrome, now), planned);
    expect(facts.map((f) => [f.label, f.text])).toEqual([
      ['Scheduled window', 'Mar 12, 2026, 02:00 – 04:30 CET'],
      ['Planned duration', '2 h 30 min'],
      ['Progress', 'Not started yet'],
    ]);
    const done = { ...planned, status: 'completed' as const, resolvedAt: new Date('2026-03-12T03:00:00Z') };
    expect(incidentFacts(incidentItem(done, chrome, now), done).at(-1)).toMatchObject({
      label: 'Completed',
      text: 'Mar 12, 2026, 04:00 CET',
    });
  });

  it('writes a maintenance window once when it fits in a day', () => {
    const start = new Date('2026-03-12T01:00:00Z');
    expect(maintenanceWindow(start, new Date('2026-03-12T03:00:00Z'), chrome).text).toBe(
      'Mar 12, 2026, 02:00 – 04:00 CET',
    );
    expect(maintenanceWindow(start, new Date('2026-03-13T03:00:00Z'), chrome).text).toBe(
      'Mar 12, 2026, 02:00 CET – Mar 13, 2026, 04:00 CET',
    );
    expect(maintenanceWindow(start, null, chrome).text).toBe('From Mar 12, 2026, 02:00 CET');
    // Across the switch to summer time the zone name changes within the day.
    expect(maintenanceWindow(new Date('2026-03-29T00:30:00Z'), new Date('2026-03-29T01:30:00Z'), chrome).text).toBe(
      'Mar 29, 2026, 01:30 CET – 03:30 CEST',
    );
  });
});

describe('incidents on the internal page', () => {
  const chrome = { timeZone: 'UTC', locale: 'en' };
  const now = new Date('2026-03-10T13:00:00Z');

  it('links within /internal, shows the severity and marks internal incidents, components and updates', () => {
    const item = incidentItem(
      incident({
        visibility: 'internal',
        components: [
          component({ id: 'a', name: 'API' }),
          component({ id: 's', name: 'Secret', visibility: 'internal' }),
        ],
        updates: [update({ id: 'u2', audience: 'internal' }), update({ id: 'u1' })],
      }),
      chrome,
      now,
      INTERNAL_VIEW,
    );
    expect(item).toMatchObject({
      href: '/internal/incidents/inc000000001',
      internal: true,
      severityLabel: 'Sev 2 — major',
      impactText: 'Major impact',
    });
    expect(item.components.map((c) => [c.id, c.internal])).toEqual([
      ['a', false],
      ['s', true],
    ]);
    expect(item.updates.map((u) => [u.id, u.internal])).toEqual([
      ['u2', true],
      ['u1', false],
    ]);
  });

  it('shows no severity and no internal mark on the public page', () => {
    const item = incidentItem(incident({ updates: [update()] }), chrome, now);
    expect(item).toMatchObject({ href: '/incidents/inc000000001', internal: false, severityLabel: null });
    expect(item.updates[0].internal).toBe(false);
    expect(incidentItem(incident(), chrome, now, PUBLIC_VIEW)).toEqual(incidentItem(incident(), chrome, now));
  });

  it('labels severities as "Sev N — impact", and none for a maintenance', () => {
    expect(incidentSeverityLabel({ kind: 'incident', severity: 1 })).toBe('Sev 1 — critical');
    expect(incidentSeverityLabel({ kind: 'incident', severity: 2 })).toBe('Sev 2 — major');
    expect(incidentSeverityLabel({ kind: 'incident', severity: 3 })).toBe('Sev 3 — minor');
    expect(incidentSeverityLabel({ kind: 'incident', severity: null })).toBe('No severity');
    expect(incidentSeverityLabel({ kind: 'maintenance', severity: null })).toBeNull();
    const maintenance = incident({ kind: 'maintenance', severity: null, impact: 'maintenance' });
    expect(incidentItem(maintenance, chrome, now, INTERNAL_VIEW).severityLabel).toBeNull();
  });

  it('takes another base path when asked', () => {
    const options = { audience: 'internal' as const, basePath: '/staff' };
    expect(incidentItem(incident(), chrome, now, options).href).toBe('/staff/incidents/inc000000001');
    expect(homeHref(options)).toBe('/staff');
    expect(homeHref(INTERNAL_VIEW)).toBe('/internal');
    expect(homeHref(PUBLIC_VIEW)).toBe('/');
    expect(incidentItem(incident({ id: 'a/b' }), chrome, now, INTERNAL_VIEW).href).toBe('/internal/incidents/a%2Fb');
  });

  it('marks a single update by its audience', () => {
    const target = { impact: 'major' as const };
    expect(updateItem(update({ audience: 'internal' }), target, chrome)).toMatchObject({
      internal: true,
      statusLabel: 'Investigating',
      tone: 'partial',
    });
    expect(updateItem(update(), target, chrome).internal).toBe(false);
  });
});

describe('page chrome and components', () => {
  it('falls back to safe defaults', () => {
    const defaults = {
      pageName: 'Status',
      homeUrl: null,
      timeZone: 'UTC',
      locale: 'en',
      logoUrl: null,
      accent: null,
      lang: 'en',
      defaultLang: 'en',
    };
    expect(pageChrome(null)).toEqual(defaults);
    const chrome = pageChrome(
      settings({
        pageName: '  ',
        timeZone: 'Mars/Olympus',
        homeUrl: 'javascript:alert(1)',
        locale: 'not a locale!',
        logoUrl: 'javascript:alert(1)',
        accentColor: 'red;}body{display:none',
      }),
    );
    expect(chrome).toEqual(defaults);
    expect(pageChrome(settings({ logoUrl: '//evil.example/x.png' })).logoUrl).toBeNull();
    expect(pageChrome(settings({ homeUrl: 'https://acme.example', timeZone: 'Europe/Paris' }))).toMatchObject({
      homeUrl: 'https://acme.example/',
      timeZone: 'Europe/Paris',
    });
    expect(safeHttpUrl('mailto:ops@acme.example')).toBeNull();
  });

  it('takes the logo and a readable accent from the settings', () => {
    expect(pageChrome(settings({ logoUrl: '/brand/logo.svg' })).logoUrl).toBe('/brand/logo.svg');
    expect(pageChrome(settings({ logoUrl: 'https://cdn.acme.example/logo.png' })).logoUrl).toBe(
      'https://cdn.acme.example/logo.png',
    );
    // Dark enough for the light theme as it is; lightened for the dark theme.
    const navy = pageChrome(settings({ accentColor: '#0a3d91' })).accent!;
    expect(navy.light).toBe('#0a3d91');
    expect(contrastRatio(navy.dark, '#151b23')).toBeGreaterThanOrEqual(4.5);
    // A pale yellow is darkened for the light theme.
    const yellow = pageChrome(settings({ accentColor: '#ffe066' })).accent!;
    expect(contrastRatio(yellow.light, '#f6f8fa')).toBeGreaterThanOrEqual(4.5);
    expect(accentCss(navy)).toBe(
      `html:root{--link:#0a3d91;--focus:#0a3d91}@media (prefers-color-scheme: dark){html:root{--link:${navy.dark};--focus:${navy.dark}}}`,
    );
  });

  it("negotiates the reader's language, the page's locale giving the default", () => {
    const fr = settings({ locale: 'fr-CA' });
    expect(pageChrome(fr)).toMatchObject({ lang: 'fr', defaultLang: 'fr', locale: 'fr-CA' });
    expect(pageChrome(fr, { acceptLanguage: 'en-US,en;q=0.9' })).toMatchObject({ lang: 'en', locale: 'en' });
    const en = settings({ locale: 'en-GB' });
    expect(pageChrome(en, { acceptLanguage: 'fr-FR' })).toMatchObject({ lang: 'fr', defaultLang: 'en', locale: 'fr' });
    expect(pageChrome(en, { acceptLanguage: 'fr-FR', cookie: 'vigie_lang=en' })).toMatchObject({
      lang: 'en',
      locale: 'en-GB',
    });
    // A language Vigie does not speak falls back to English, dates and <html lang> included.
    expect(pageChrome(settings({ locale: 'de-DE' }))).toMatchObject({ lang: 'en', locale: 'en' });
  });

  it('opens a group unless collapsed, and always when something in it is wrong', () => {
    expect(groupIsOpen({ collapsed: false, components: [{ status: 'operational' }] })).toBe(true);
    expect(groupIsOpen({ collapsed: true, components: [{ status: 'operational' }] })).toBe(false);
    expect(
      groupIsOpen({ collapsed: true, components: [{ status: 'operational' }, { status: 'degraded_performance' }] }),
    ).toBe(true);
    expect(groupIsOpen({ collapsed: true, components: [{ status: 'under_maintenance' }] })).toBe(true);
  });

  it('hides an operational "only show if degraded" component', () => {
    expect(isComponentShown({ status: 'operational', onlyShowIfDegraded: true })).toBe(false);
    expect(isComponentShown({ status: 'major_outage', onlyShowIfDegraded: true })).toBe(true);
    expect(isComponentShown({ status: 'operational', onlyShowIfDegraded: false })).toBe(true);
  });

  it('formats calendar dates without shifting the day', () => {
    expect(calendarDate('2026-11-03')).toBe('Nov 3, 2026');
  });
});

describe('buildHomeView', () => {
  const now = new Date('2026-03-15T12:00:00Z');

  function pageData(overrides: Partial<StatusPageData> = {}): StatusPageData {
    const api = component({ id: 'api', groupId: 'g1', name: 'API', status: 'partial_outage' });
    const web = component({ id: 'web', groupId: 'g1', name: 'Web', position: 2 });
    const quiet = component({ id: 'quiet', name: 'Quiet', onlyShowIfDegraded: true, position: 3 });
    const group: GroupView = {
      id: 'g1',
      name: 'Platform',
      description: null,
      position: 1,
      visibility: 'public',
      collapsed: true,
      status: 'partial_outage',
      createdAt: now,
      updatedAt: now,
      components: [api, web],
    };
    const active = incident({ id: 'open', startedAt: new Date(now.getTime() - HOUR) });
    const old = incident({
      id: 'old',
      status: 'resolved',
      startedAt: new Date(now.getTime() - 30 * DAY),
      resolvedAt: new Date(now.getTime() - 30 * DAY + HOUR),
    });
    const recent = incident({
      id: 'recent',
      status: 'resolved',
      startedAt: new Date(now.getTime() - 2 * DAY),
      resolvedAt: new Date(now.getTime() - 2 * DAY + HOUR),
    });
    return {
      settings: settings(),
      groups: [group],
      components: [api, web, quiet],
      items: [
        { type: 'group', group },
        { type: 'component', component: quiet },
      ],
      unresolvedIncidents: [active],
      recentIncidents: [active, recent, old],
      activeMaintenances: [],
      upcomingMaintenances: [],
      recentMaintenances: [],
      history: [
        { componentId: 'api', status: 'operational', at: new Date('2025-01-01T00:00:00Z') },
        { componentId: 'api', status: 'partial_outage', at: new Date(now.getTime() - HOUR) },
      ],
      updatedAt: now,
      ...overrides,
    };
  }

  it('builds the banner, the groups and the incident lists', () => {
    const view = buildHomeView(pageData(), now);
    expect(view.banner).toMatchObject({ description: 'Minor Service Outage', tone: 'degraded', icon: 'minus' });
    expect(view.items).toHaveLength(1);
    const group = view.items[0];
    expect(group.type).toBe('group');
    if (group.type !== 'group') return;
    // Collapsed by the operator, but open because API has a partial outage.
    expect(group.group.open).toBe(true);
    expect(group.group.badge).toEqual({ label: 'Partial outage', tone: 'partial', icon: 'alert' });
    expect(group.group.components.map((c) => c.id)).toEqual(['api', 'web']);
    expect(group.group.components[0].bars?.days).toHaveLength(90);
    expect(group.group.components[0].feedHref).toBe('/components/api/feed.rss');
    expect(view.activeIncidents.map((i) => i.id)).toEqual(['open']);
    expect(view.pastIncidents.map((i) => i.id)).toEqual(['recent']);
    expect(view.hasBars).toBe(true);
  });

  it('reads "All Systems Operational" on a quiet page and keeps empty pages empty', () => {
    const view = buildHomeView(
      pageData({ groups: [], components: [], items: [], unresolvedIncidents: [], recentIncidents: [], history: [] }),
      now,
    );
    expect(view.banner).toMatchObject({ description: 'All Systems Operational', tone: 'ok', icon: 'check' });
    expect(view.items).toEqual([]);
    expect(view.hasBars).toBe(false);
  });

  function internalPageData(): StatusPageData {
    const base = pageData();
    const secret = component({ id: 'secret', name: 'Billing worker', visibility: 'internal', position: 4 });
    const child = component({ id: 'child', groupId: 'ops', name: 'Queue', position: 1 });
    const ops: GroupView = {
      id: 'ops',
      name: 'Ops',
      description: null,
      position: 5,
      visibility: 'internal',
      collapsed: false,
      status: 'operational',
      createdAt: now,
      updatedAt: now,
      components: [child],
    };
    const hidden = incident({
      id: 'hidden',
      name: 'Internal only',
      visibility: 'internal',
      severity: 3,
      impact: 'minor',
      startedAt: new Date(now.getTime() - HOUR),
      updates: [update({ id: 'note', audience: 'internal' }), update({ id: 'first' })],
    });
    return {
      ...base,
      groups: [...base.groups, ops],
      components: [...base.components, secret, child],
      items: [...base.items, { type: 'component', component: secret }, { type: 'group', group: ops }],
      unresolvedIncidents: [...base.unresolvedIncidents, hidden],
    };
  }

  it('marks internal components, groups, incidents and updates on the internal page, with severities', () => {
    const view = buildHomeView(internalPageData(), now, INTERNAL_VIEW);
    expect(view.audience).toBe('internal');
    expect(view.homeHref).toBe('/internal');
    const rows = view.items.flatMap((i) =>
      i.type === 'group'
        ? [
            { id: i.group.id, internal: i.group.internal },
            ...i.group.components.map((c) => ({ id: c.id, internal: c.internal })),
          ]
        : [{ id: i.component.id, internal: i.component.internal }],
    );
    // A public component inside an internal group is never shown to customers either.
    expect(rows).toEqual([
      { id: 'g1', internal: false },
      { id: 'api', internal: false },
      { id: 'web', internal: false },
      { id: 'secret', internal: true },
      { id: 'ops', internal: true },
      { id: 'child', internal: true },
    ]);
    expect(view.activeIncidents.map((i) => [i.id, i.internal, i.severityLabel, i.href])).toEqual([
      ['open', false, 'Sev 2 — major', '/internal/incidents/open'],
      ['hidden', true, 'Sev 3 — minor', '/internal/incidents/hidden'],
    ]);
    expect(view.activeIncidents[1].updates.map((u) => [u.id, u.internal])).toEqual([
      ['note', true],
      ['first', false],
    ]);
    expect(view.pastIncidents[0].href).toBe('/internal/incidents/recent');
  });

  it('keeps the public page free of internal marks and severities', () => {
    const view = buildHomeView(pageData(), now);
    expect(view).toMatchObject({ audience: 'public', homeHref: '/' });
    expect(buildHomeView(pageData(), now, PUBLIC_VIEW)).toEqual(view);
    for (const item of view.items) {
      if (item.type === 'group') {
        expect(item.group.internal).toBe(false);
        for (const c of item.group.components) expect(c.internal).toBe(false);
      } else expect(item.component.internal).toBe(false);
    }
    for (const i of [...view.activeIncidents, ...view.pastIncidents]) {
      expect(i).toMatchObject({ internal: false, severityLabel: null });
      expect(i.href).toBe(`/incidents/${i.id}`);
    }
  });
});

function responseData(overrides: Partial<IncidentResponseData> = {}): IncidentResponseData {
  return {
    id: 'inc000000001',
    chatUrl: null,
    videoUrl: null,
    ticketUrl: null,
    incidentManager: null,
    techLead: null,
    commsLead: null,
    impactCustomer: null,
    impactVisible: null,
    impactScope: null,
    impactStartedAt: null,
    supportCases: null,
    impactFactors: null,
    recap: null,
    postmortem: null,
    postmortemPublishedAt: null,
    ...overrides,
  };
}

const DEFINITIONS = {
  '1': { label: 'Sev 1', description: 'Everything is down.' },
  '2': {
    label: 'Major',
    description: ' A core feature is degraded. ',
    examples: ['Checkout fails', ' '],
    response: 'Page the on-call now.',
  },
  '3': { label: ' ', description: 'Minor.', response: '  ' },
};

describe('the response view (staff only)', () => {
  const chrome = { timeZone: 'Europe/Paris', locale: 'en' };

  it("gives a severity's written definition, examples and expected response, or null without a severity", () => {
    expect(severityDefinitionView(2, DEFINITIONS)).toEqual({
      label: 'Major',
      description: 'A core feature is degraded.',
      examples: ['Checkout fails'],
      response: 'Page the on-call now.',
    });
    // Stored definitions from before examples and response existed; a blank label falls back.
    expect(severityDefinitionView(1, DEFINITIONS)).toEqual({
      label: 'Sev 1',
      description: 'Everything is down.',
      examples: [],
      response: null,
    });
    expect(severityDefinitionView(3, DEFINITIONS)?.label).toBe('Sev 3');
    expect(severityDefinitionView(3, DEFINITIONS)?.response).toBeNull();
    expect(severityDefinitionView(null, DEFINITIONS)).toBeNull();
  });

  it('names the role holders, "Unassigned" otherwise, with each role\'s responsibilities', () => {
    const view = incidentResponse(
      responseData({ incidentManager: { id: 'u1', name: 'Ana' }, commsLead: { id: 'u3', name: 'bo@example.com' } }),
      incident(),
      DEFINITIONS,
      chrome,
    );
    expect(view.roles.map((r) => [r.label, r.holder, r.holderText])).toEqual([
      ['Incident manager', 'Ana', 'Ana'],
      ['Tech lead', null, 'Unassigned'],
      ['Communications lead', 'bo@example.com', 'bo@example.com'],
    ]);
    expect(view.roles[0].responsibilities).toMatch(/^Runs the response/);
    expect(view.rolesLine).toBe('Incident manager: Ana · Tech lead: Unassigned · Communications lead: bo@example.com');
    expect(view.key).toBe('INC-1');
  });

  it('keeps only http(s) links, and the channel topic only names those', () => {
    const view = incidentResponse(
      responseData({
        chatUrl: 'javascript:alert(1)',
        videoUrl: 'https://meet.example.com/abc',
        ticketUrl: 'data:text/html,<script>alert(1)</script>',
        incidentManager: { id: 'u1', name: 'Ana' },
      }),
      incident({ number: 42, status: 'identified', severity: 1, name: 'API  errors' }),
      DEFINITIONS,
      chrome,
    );
    expect(view.links).toEqual([{ label: 'Video bridge', href: 'https://meet.example.com/abc' }]);
    expect(view.channelTopic).toBe(
      'INC-42 · Sev 1 · Identified · API errors · IM: Ana · Video: https://meet.example.com/abc',
    );
    expect(view.channelTopic).not.toMatch(/javascript|data:/);
  });

  it('lists the answered assessment questions in order, and nothing when none was answered', () => {
    expect(assessmentFacts(responseData(), chrome)).toEqual([]);
    const facts = assessmentFacts(
      responseData({
        impactCustomer: ' Checkout fails ',
        impactVisible: '  ',
        impactScope: 'all',
        impactStartedAt: new Date('2026-03-10T09:30:00Z'),
        supportCases: 0,
        impactFactors: { security: true, workaround: false, dataLoss: true, notes: 'Seen on X' },
      }),
      chrome,
    );
    expect(facts.map((f) => [f.label, f.text])).toEqual([
      ['Customer impact', 'Checkout fails'],
      ['How many customers', 'All customers'],
      ['Impact started', 'Mar 10, 2026, 10:30 CET'],
      ['Support cases', '0'],
      ['Other factors', 'Security breach, Data loss'],
      ['Notes', 'Seen on X'],
    ]);
    expect(facts[2].time?.iso).toBe('2026-03-10T09:30:00.000Z');
    expect(assessmentFacts(responseData({ impactFactors: {} }), chrome)).toEqual([
      { label: 'Other factors', text: 'None' },
    ]);
  });

  it('renders the recap and the post-mortem through the sanitizer, a draft without a publication time', () => {
    const view = incidentResponse(
      responseData({
        recap: '**Done** <script>alert(1)</script>',
        postmortem: '## Why\n\n<img src=x onerror=alert(1)>',
      }),
      incident(),
      DEFINITIONS,
      chrome,
    );
    expect(view.recapHtml).toContain('<strong>Done</strong>');
    expect(view.recapHtml).not.toContain('<script');
    expect(view.postmortem?.html).toContain('<h3>Why</h3>');
    expect(view.postmortem?.html).not.toContain('onerror');
    expect(view.postmortem?.published).toBeNull();
    expect(incidentResponse(responseData({ recap: '  ' }), incident(), DEFINITIONS, chrome).recapHtml).toBeNull();
  });

  it('gives a post-mortem view only for text, published or not', () => {
    expect(postmortemView(null, new Date(), chrome)).toBeNull();
    expect(postmortemView(' \n ', new Date(), chrome)).toBeNull();
    const published = postmortemView('Root cause', new Date('2026-03-11T08:00:00Z'), chrome);
    expect(published?.published).toEqual({ iso: '2026-03-11T08:00:00.000Z', text: 'Mar 11, 2026, 09:00 CET' });
    expect(published?.html.trim()).toBe('<p>Root cause</p>');
  });
});
