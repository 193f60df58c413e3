import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  COMPONENT_STATUSES,
  INCIDENT_STATUSES,
  MAINTENANCE_STATUSES,
  type ComponentStatus,
  type Impact,
} from '../../src/domain/enums.ts';
import {
  anyIncidentStatusLabel,
  COMPONENT_STATUS_ICONS,
  componentStatusIcon,
  componentStatusLabel,
  groupStatus,
  impactLabel,
  incidentStatusLabel,
  maintenanceStatusLabel,
  overallStatus,
  statusRank,
  worstStatus,
} from '../../src/domain/status.ts';

const calm = { activeMaintenance: false };

describe('statusRank', () => {
  it('orders operational < maintenance < degraded < partial < major', () => {
    const ordered: ComponentStatus[] = [
      'operational',
      'under_maintenance',
      'degraded_performance',
      'partial_outage',
      'major_outage',
    ];
    const ranks = ordered.map(statusRank);
    expect(ranks).toEqual([0, 1, 2, 3, 4]);
  });

  it('gives every status a distinct rank', () => {
    expect(new Set(COMPONENT_STATUSES.map(statusRank)).size).toBe(COMPONENT_STATUSES.length);
  });
});

describe('worstStatus / groupStatus', () => {
  it('is operational for an empty list', () => {
    expect(worstStatus([])).toBe('operational');
    expect(groupStatus([])).toBe('operational');
  });

  it('picks the worst regardless of order', () => {
    expect(worstStatus(['operational', 'major_outage', 'degraded_performance'])).toBe('major_outage');
    expect(worstStatus(['partial_outage', 'degraded_performance', 'operational'])).toBe('partial_outage');
    expect(worstStatus(['degraded_performance', 'partial_outage'])).toBe('partial_outage');
  });

  it('lets a real degradation outrank maintenance, but maintenance outrank operational', () => {
    expect(worstStatus(['under_maintenance', 'degraded_performance'])).toBe('degraded_performance');
    expect(worstStatus(['operational', 'under_maintenance', 'operational'])).toBe('under_maintenance');
  });

  it('accepts any iterable (a Set, a generator)', () => {
    expect(worstStatus(new Set<ComponentStatus>(['operational', 'partial_outage']))).toBe('partial_outage');
    function* gen(): Generator<ComponentStatus> {
      yield 'degraded_performance';
      yield 'operational';
    }
    expect(groupStatus(gen())).toBe('degraded_performance');
  });
});

describe('overallStatus from components', () => {
  it('all operational, or no components at all', () => {
    expect(overallStatus(['operational', 'operational'], calm)).toEqual({
      indicator: 'none',
      description: 'All Systems Operational',
    });
    expect(overallStatus([], calm)).toEqual({ indicator: 'none', description: 'All Systems Operational' });
  });

  it('some degraded → minor "Partially Degraded Service"', () => {
    expect(overallStatus(['operational', 'degraded_performance'], calm)).toEqual({
      indicator: 'minor',
      description: 'Partially Degraded Service',
    });
    // A single component page uses the "partially" wording too.
    expect(overallStatus(['degraded_performance'], calm).description).toBe('Partially Degraded Service');
  });

  it('every component degraded → minor "Degraded System Service"', () => {
    expect(overallStatus(['degraded_performance', 'degraded_performance'], calm)).toEqual({
      indicator: 'minor',
      description: 'Degraded System Service',
    });
  });

  it('some partial outage → minor "Minor Service Outage"', () => {
    expect(overallStatus(['operational', 'partial_outage', 'degraded_performance'], calm)).toEqual({
      indicator: 'minor',
      description: 'Minor Service Outage',
    });
  });

  it('every component in partial outage → major "Partial System Outage"', () => {
    expect(overallStatus(['partial_outage', 'partial_outage'], calm)).toEqual({
      indicator: 'major',
      description: 'Partial System Outage',
    });
    expect(overallStatus(['partial_outage'], calm).indicator).toBe('major');
  });

  it('some major outage → major "Partial System Outage"', () => {
    expect(overallStatus(['operational', 'major_outage'], calm)).toEqual({
      indicator: 'major',
      description: 'Partial System Outage',
    });
  });

  it('critical only when every component is in major outage, not "most"', () => {
    expect(overallStatus(['major_outage', 'major_outage', 'major_outage'], calm)).toEqual({
      indicator: 'critical',
      description: 'Major System Outage',
    });
    expect(overallStatus(['major_outage'], calm).indicator).toBe('critical');
    const nineOfTen: ComponentStatus[] = [...Array<ComponentStatus>(9).fill('major_outage'), 'operational'];
    expect(overallStatus(nineOfTen, calm).indicator).toBe('major');
    expect(overallStatus(['major_outage', 'under_maintenance'], calm).indicator).toBe('major');
  });

  it('a component under maintenance → "Service Under Maintenance"', () => {
    expect(overallStatus(['operational', 'under_maintenance'], calm)).toEqual({
      indicator: 'maintenance',
      description: 'Service Under Maintenance',
    });
  });

  it('a degradation elsewhere beats maintenance', () => {
    expect(overallStatus(['under_maintenance', 'degraded_performance'], calm).indicator).toBe('minor');
    expect(overallStatus(['under_maintenance', 'partial_outage'], { activeMaintenance: true }).indicator).toBe('minor');
  });
});

describe('overallStatus with incidents and maintenance', () => {
  it('an active maintenance with healthy components → maintenance', () => {
    expect(overallStatus(['operational'], { activeMaintenance: true })).toEqual({
      indicator: 'maintenance',
      description: 'Service Under Maintenance',
    });
    expect(overallStatus([], { activeMaintenance: true }).indicator).toBe('maintenance');
  });

  it('an incident with no component marked sets the indicator to its impact', () => {
    expect(overallStatus(['operational'], { activeMaintenance: false, unresolvedIncidentImpacts: ['minor'] })).toEqual({
      indicator: 'minor',
      description: 'Partially Degraded Service',
    });
    expect(overallStatus([], { activeMaintenance: false, unresolvedIncidentImpacts: ['major', 'minor'] })).toEqual({
      indicator: 'major',
      description: 'Partial System Outage',
    });
    expect(
      overallStatus(['operational'], { activeMaintenance: false, unresolvedIncidentImpacts: ['minor', 'critical'] }),
    ).toEqual({
      indicator: 'critical',
      description: 'Major System Outage',
    });
  });

  it("ignores 'none' impacts", () => {
    expect(
      overallStatus(['operational'], { activeMaintenance: false, unresolvedIncidentImpacts: ['none'] }).indicator,
    ).toBe('none');
  });

  it('an incident outranks maintenance (components healthy or under maintenance)', () => {
    expect(
      overallStatus(['operational'], { activeMaintenance: true, unresolvedIncidentImpacts: ['minor'] }).indicator,
    ).toBe('minor');
    expect(
      overallStatus(['under_maintenance'], { activeMaintenance: true, unresolvedIncidentImpacts: ['major'] }).indicator,
    ).toBe('major');
  });

  it("a 'maintenance' impact among the incidents counts as maintenance", () => {
    expect(
      overallStatus(['operational'], { activeMaintenance: false, unresolvedIncidentImpacts: ['maintenance'] })
        .indicator,
    ).toBe('maintenance');
  });

  it('component statuses win over incident impacts once a component shows a problem (as in the GitHub fixture)', () => {
    expect(
      overallStatus(['operational', 'partial_outage'], {
        activeMaintenance: false,
        unresolvedIncidentImpacts: ['major'],
      }),
    ).toEqual({
      indicator: 'minor',
      description: 'Minor Service Outage',
    });
    expect(
      overallStatus(['major_outage', 'operational'], { activeMaintenance: false, unresolvedIncidentImpacts: ['minor'] })
        .indicator,
    ).toBe('major');
  });
});

// ---------------------------------------------------------------------------------------
// Real Statuspage responses: our function must reproduce their `status.indicator`.

// A copy of ../shared/fixtures, kept in the repo so the test never depends on what sits beside the clone.
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/statuspage');

type FixtureComponent = { status: ComponentStatus; group?: boolean };
type FixtureIncident = { status: string; impact: Impact };
type FixturePage = {
  components: FixtureComponent[];
  incidents: FixtureIncident[];
  scheduled_maintenances: FixtureIncident[];
  status: { indicator: Impact; description: string };
};

function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as T;
}

function ourStatus(page: Omit<FixturePage, 'status'>) {
  const leaves = page.components.filter((c) => !c.group).map((c) => c.status);
  const unresolved = page.incidents.filter((i) => ['investigating', 'identified', 'monitoring'].includes(i.status));
  const activeMaintenance = page.scheduled_maintenances.some(
    (m) => m.status === 'in_progress' || m.status === 'verifying',
  );
  return overallStatus(leaves, { activeMaintenance, unresolvedIncidentImpacts: unresolved.map((i) => i.impact) });
}

describe('overallStatus against real Statuspage pages', () => {
  const summaries = [
    // Discord: one operational component, nothing open → none.
    'discord-summary-2022-02.json',
    // GitHub: one partial_outage component out of 11 and an unresolved 'major' incident →
    // minor "Minor Service Outage": the components decide, not the incident impact.
    'github-summary-2022-11-25-incident.json',
    // HTX: an operational component, an investigating 'minor' incident and a maintenance
    // that is only scheduled → minor "Partially Degraded Service".
    'htx-summary-2020-02-incident-and-scheduled-maintenance.json',
  ];

  for (const file of summaries) {
    it(`${file}: indicator and description`, () => {
      const page = readFixture<FixturePage>(file);
      const ours = ourStatus(page);
      expect(ours.indicator).toBe(page.status.indicator);
      expect(ours.description).toBe(page.status.description);
    });
  }

  it('discord status.json, rebuilt from components.json, incidents/unresolved.json and scheduled-maintenances/active.json', () => {
    const { components } = readFixture<{ components: FixtureComponent[] }>('discord-components-2022-02.json');
    const { incidents } = readFixture<{ incidents: FixtureIncident[] }>('discord-incidents-unresolved-2022-02.json');
    const { scheduled_maintenances } = readFixture<{ scheduled_maintenances: FixtureIncident[] }>(
      'discord-scheduled-maintenances-active-2022-02.json',
    );
    const { status } = readFixture<{ status: FixturePage['status'] }>('discord-status-2022-02.json');
    expect(ourStatus({ components, incidents, scheduled_maintenances })).toEqual(status);
  });
});

describe('labels and icons', () => {
  it('labels every component status in sentence case', () => {
    expect(componentStatusLabel('operational')).toBe('Operational');
    expect(componentStatusLabel('degraded_performance')).toBe('Degraded performance');
    expect(componentStatusLabel('partial_outage')).toBe('Partial outage');
    expect(componentStatusLabel('major_outage')).toBe('Major outage');
    expect(componentStatusLabel('under_maintenance')).toBe('Under maintenance');
  });

  it('labels incident and maintenance statuses', () => {
    expect(incidentStatusLabel('investigating')).toBe('Investigating');
    expect(incidentStatusLabel('postmortem')).toBe('Postmortem');
    expect(maintenanceStatusLabel('in_progress')).toBe('In progress');
    expect(maintenanceStatusLabel('scheduled')).toBe('Scheduled');
    expect(anyIncidentStatusLabel('in_progress')).toBe('In progress');
    expect(anyIncidentStatusLabel('identified')).toBe('Identified');
  });

  it('has a non-empty, distinct label for every value of every list', () => {
    for (const list of [
      COMPONENT_STATUSES.map(componentStatusLabel),
      INCIDENT_STATUSES.map(incidentStatusLabel),
      MAINTENANCE_STATUSES.map(maintenanceStatusLabel),
      [...INCIDENT_STATUSES, ...MAINTENANCE_STATUSES].map(anyIncidentStatusLabel),
    ]) {
      for (const label of list) expect(label).toMatch(/^[A-Z][a-z ]+$/);
      expect(new Set(list).size).toBe(list.length);
    }
  });

  it('labels impacts', () => {
    expect(impactLabel('critical')).toBe('Critical');
    expect(impactLabel('none')).toBe('None');
  });

  it('gives each component status its own stable icon key', () => {
    expect(COMPONENT_STATUS_ICONS).toEqual({
      operational: 'check',
      degraded_performance: 'minus',
      partial_outage: 'alert',
      major_outage: 'cross',
      under_maintenance: 'wrench',
    });
    const icons = COMPONENT_STATUSES.map(componentStatusIcon);
    expect(new Set(icons).size).toBe(COMPONENT_STATUSES.length);
  });
});
