/**
 * Component status ranking, the page's top-level status and the words and icons the
 * UI shows for each status.
 */
import type { ComponentStatus, Impact, IncidentStatus, MaintenanceStatus, AnyIncidentStatus } from './enums.ts';

/**
 * Severity order of component statuses, higher is worse. Maintenance ranks just above
 * operational: the work is planned and announced, so when another component is
 * genuinely degraded or down that is what the group and the page must show; but it
 * still beats operational so a group containing it reads "Under maintenance".
 */
export const STATUS_RANK: Readonly<Record<ComponentStatus, number>> = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
};

/** Rank of a component status (0 = operational, 4 = major outage). */
export function statusRank(status: ComponentStatus): number {
  return STATUS_RANK[status];
}

/** Worst of the given statuses; 'operational' for an empty list. */
export function worstStatus(statuses: Iterable<ComponentStatus>): ComponentStatus {
  let worst: ComponentStatus = 'operational';
  for (const s of statuses) if (STATUS_RANK[s] > STATUS_RANK[worst]) worst = s;
  return worst;
}

/** Status shown for a group: the worst of its components ('operational' when empty). */
export function groupStatus(componentStatuses: Iterable<ComponentStatus>): ComponentStatus {
  return worstStatus(componentStatuses);
}

/** Top-level page status, shaped like Statuspage's `status` object. */
export interface OverallStatus {
  indicator: Impact;
  description: string;
}

export interface OverallStatusOptions {
  /** A maintenance window is in progress or verifying. */
  activeMaintenance: boolean;
  /** Impacts of incidents not yet resolved (investigating, identified, monitoring). */
  unresolvedIncidentImpacts?: readonly Impact[];
}

const ALL_OPERATIONAL: OverallStatus = { indicator: 'none', description: 'All Systems Operational' };
const UNDER_MAINTENANCE: OverallStatus = { indicator: 'maintenance', description: 'Service Under Maintenance' };

// What an incident alone says when no component shows a problem; the wording is the
// one Statuspage uses for the matching component picture.
const INCIDENT_ONLY: Readonly<Record<'minor' | 'major' | 'critical', OverallStatus>> = {
  minor: { indicator: 'minor', description: 'Partially Degraded Service' },
  major: { indicator: 'major', description: 'Partial System Outage' },
  critical: { indicator: 'critical', description: 'Major System Outage' },
};

const IMPACT_RANK: Readonly<Record<Impact, number>> = { none: 0, maintenance: 1, minor: 2, major: 3, critical: 4 };

function fromComponents(statuses: readonly ComponentStatus[]): OverallStatus {
  const n = statuses.length;
  let major = 0;
  let partial = 0;
  let degraded = 0;
  let maintenance = 0;
  for (const s of statuses) {
    if (s === 'major_outage') major++;
    else if (s === 'partial_outage') partial++;
    else if (s === 'degraded_performance') degraded++;
    else if (s === 'under_maintenance') maintenance++;
  }
  // Statuspage's blend: "all components" at a level reads one step more severe than
  // "some components". Critical needs every component down (not "most"): any
  // threshold below 100% is arbitrary, and one healthy component means the system
  // as a whole is still partly usable.
  if (major > 0) {
    return major === n
      ? { indicator: 'critical', description: 'Major System Outage' }
      : { indicator: 'major', description: 'Partial System Outage' };
  }
  if (partial > 0) {
    return partial === n
      ? { indicator: 'major', description: 'Partial System Outage' }
      : { indicator: 'minor', description: 'Minor Service Outage' };
  }
  if (degraded > 0) {
    return degraded === n && n > 1
      ? { indicator: 'minor', description: 'Degraded System Service' }
      : { indicator: 'minor', description: 'Partially Degraded Service' };
  }
  return maintenance > 0 ? UNDER_MAINTENANCE : ALL_OPERATIONAL;
}

/**
 * Top-level status of the page, matching Statuspage: component statuses decide when
 * any component shows a problem; otherwise the worst unresolved incident impact
 * decides (an incident with no component marked still turns the page yellow/orange/red);
 * otherwise an active maintenance, or a component under maintenance, gives 'maintenance'.
 * Pass only leaf components: groups are derived from them and would double count.
 */
export function overallStatus(
  componentStatuses: readonly ComponentStatus[],
  options: OverallStatusOptions,
): OverallStatus {
  const byComponents = fromComponents(componentStatuses);
  // Statuspage lets components win over incident impacts (the GitHub fixture shows a
  // 'major' incident under a 'minor' page because its component is a partial outage):
  // the component picture is the operator's latest, deliberate statement.
  if (byComponents.indicator !== 'none' && byComponents.indicator !== 'maintenance') return byComponents;

  let worstImpact: Impact = 'none';
  for (const impact of options.unresolvedIncidentImpacts ?? []) {
    if (IMPACT_RANK[impact] > IMPACT_RANK[worstImpact]) worstImpact = impact;
  }
  if (worstImpact === 'minor' || worstImpact === 'major' || worstImpact === 'critical')
    return INCIDENT_ONLY[worstImpact];

  if (byComponents.indicator === 'maintenance' || options.activeMaintenance || worstImpact === 'maintenance') {
    return UNDER_MAINTENANCE;
  }
  return ALL_OPERATIONAL;
}

const COMPONENT_STATUS_LABELS: Readonly<Record<ComponentStatus, string>> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};

const INCIDENT_STATUS_LABELS: Readonly<Record<IncidentStatus, string>> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  postmortem: 'Postmortem',
};

const MAINTENANCE_STATUS_LABELS: Readonly<Record<MaintenanceStatus, string>> = {
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  verifying: 'Verifying',
  completed: 'Completed',
};

const IMPACT_LABELS: Readonly<Record<Impact, string>> = {
  none: 'None',
  minor: 'Minor',
  major: 'Major',
  critical: 'Critical',
  maintenance: 'Maintenance',
};

/** Human label of a component status, e.g. "Degraded performance". */
export function componentStatusLabel(status: ComponentStatus): string {
  return COMPONENT_STATUS_LABELS[status];
}

/** Human label of an incident status, e.g. "Investigating". */
export function incidentStatusLabel(status: IncidentStatus): string {
  return INCIDENT_STATUS_LABELS[status];
}

/** Human label of a maintenance status, e.g. "In progress". */
export function maintenanceStatusLabel(status: MaintenanceStatus): string {
  return MAINTENANCE_STATUS_LABELS[status];
}

/** Human label of either kind of status (the two lists share no value). */
export function anyIncidentStatusLabel(status: AnyIncidentStatus): string {
  return Object.hasOwn(INCIDENT_STATUS_LABELS, status)
    ? INCIDENT_STATUS_LABELS[status as IncidentStatus]
    : MAINTENANCE_STATUS_LABELS[status as MaintenanceStatus];
}

/** Human label of an impact / top-level indicator, e.g. "Major". */
export function impactLabel(impact: Impact): string {
  return IMPACT_LABELS[impact];
}

/** Icon keys the UI maps to glyphs, so status never relies on colour alone. */
export type StatusIcon = 'check' | 'minus' | 'alert' | 'cross' | 'wrench';

/** Stable icon key per component status; distinct for every status. */
export const COMPONENT_STATUS_ICONS: Readonly<Record<ComponentStatus, StatusIcon>> = {
  operational: 'check',
  degraded_performance: 'minus',
  partial_outage: 'alert',
  major_outage: 'cross',
  under_maintenance: 'wrench',
};

/** Icon key of a component status ('check', 'minus', 'alert', 'cross', 'wrench'). */
export function componentStatusIcon(status: ComponentStatus): StatusIcon {
  return COMPONENT_STATUS_ICONS[status];
}
