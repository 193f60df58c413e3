/**
 * The Atlassian Statuspage public API v2, built from the status page read model. Pure: it
 * takes data already loaded for the public audience, so the routes and the static export
 * share it. Field names, nesting and JSON types follow real Statuspage responses (the
 * fixtures test/unit/statuspage-serialize.test.ts compares against).
 */
import type { ComponentStatus, Impact } from '../../domain/enums.ts';
import { overallStatus, worstStatus } from '../../domain/status.ts';
import type { ComponentView, GroupView, IncidentView, StatusPageData, UpdateView } from '../status-page/queries.ts';

/** The eight v2 endpoints; each is served at `/api/v2/${endpoint}.json`. */
export const V2_ENDPOINTS = [
  'summary',
  'status',
  'components',
  'incidents',
  'incidents/unresolved',
  'scheduled-maintenances',
  'scheduled-maintenances/upcoming',
  'scheduled-maintenances/active',
] as const;
export type V2Endpoint = (typeof V2_ENDPOINTS)[number];

export type V2Page = { id: string; name: string; url: string; time_zone: string; updated_at: string };

export type V2Component = {
  id: string;
  name: string;
  status: ComponentStatus;
  created_at: string;
  updated_at: string;
  position: number;
  description: string | null;
  showcase: boolean;
  start_date: string | null;
  group_id: string | null;
  page_id: string;
  group: boolean;
  only_show_if_degraded: boolean;
  /** Only on groups: the ids of their children. */
  components?: string[];
};

export type V2AffectedComponent = {
  code: string;
  name: string;
  old_status: ComponentStatus;
  new_status: ComponentStatus;
};

export type V2IncidentUpdate = {
  id: string;
  status: string;
  body: string;
  incident_id: string;
  created_at: string;
  updated_at: string;
  display_at: string;
  affected_components: V2AffectedComponent[] | null;
  deliver_notifications: boolean;
  custom_tweet: null;
  tweet_id: null;
};

export type V2Incident = {
  id: string;
  name: string;
  status: string;
  created_at: string;
  updated_at: string;
  monitoring_at: string | null;
  resolved_at: string | null;
  impact: Impact;
  shortlink: string;
  started_at: string;
  page_id: string;
  incident_updates: V2IncidentUpdate[];
  components: V2Component[];
  reminder_intervals: string | null;
};

export type V2Maintenance = V2Incident & { scheduled_for: string | null; scheduled_until: string | null };

export type V2Status = { indicator: string; description: string };

export type V2Payload =
  | {
      page: V2Page;
      components: V2Component[];
      incidents: V2Incident[];
      scheduled_maintenances: V2Maintenance[];
      status: V2Status;
    }
  | { page: V2Page; status: V2Status }
  | { page: V2Page; components: V2Component[] }
  | { page: V2Page; incidents: V2Incident[] }
  | { page: V2Page; scheduled_maintenances: V2Maintenance[] };

/** The payload of one v2 endpoint. `siteUrl` is the public base URL (page.url, shortlinks). */
export function buildV2Payload(endpoint: V2Endpoint, data: StatusPageData, siteUrl: string): V2Payload {
  const ctx = context(data, siteUrl);
  const page = pageJson(data, ctx.siteUrl);
  switch (endpoint) {
    case 'summary':
      return {
        page,
        components: componentListJson(data, ctx),
        incidents: newestFirst(data.unresolvedIncidents).map((i) => incidentJson(i, ctx)),
        // Statuspage's summary lists the maintenances in progress and those still to come.
        scheduled_maintenances: soonestFirst([...data.activeMaintenances, ...data.upcomingMaintenances]).map((m) =>
          maintenanceJson(m, ctx),
        ),
        status: statusJson(data),
      };
    case 'status':
      return { page, status: statusJson(data) };
    case 'components':
      return { page, components: componentListJson(data, ctx) };
    case 'incidents':
      return { page, incidents: newestFirst(data.recentIncidents).map((i) => incidentJson(i, ctx)) };
    case 'incidents/unresolved':
      return { page, incidents: newestFirst(data.unresolvedIncidents).map((i) => incidentJson(i, ctx)) };
    case 'scheduled-maintenances':
      return { page, scheduled_maintenances: newestFirst(data.recentMaintenances).map((m) => maintenanceJson(m, ctx)) };
    case 'scheduled-maintenances/upcoming':
      return {
        page,
        scheduled_maintenances: soonestFirst(data.upcomingMaintenances).map((m) => maintenanceJson(m, ctx)),
      };
    case 'scheduled-maintenances/active':
      return {
        page,
        scheduled_maintenances: soonestFirst(data.activeMaintenances).map((m) => maintenanceJson(m, ctx)),
      };
  }
}

/** The overall status (`status.indicator` and `description`), as the domain computes it. */
export function statusJson(data: StatusPageData): V2Status {
  const { indicator, description } = overallStatus(
    data.components.map((c) => c.status),
    {
      activeMaintenance: data.activeMaintenances.length > 0,
      unresolvedIncidentImpacts: data.unresolvedIncidents.map((i) => i.impact),
    },
  );
  return { indicator, description };
}

/** What the serializers need besides the data: the public base URL and the page id. */
export type Ctx = { siteUrl: string; pageId: string };

function context(data: StatusPageData, siteUrl: string): Ctx {
  return { siteUrl: siteUrl.replace(/\/+$/, ''), pageId: data.settings.pageId };
}

function pageJson(data: StatusPageData, siteUrl: string): V2Page {
  return {
    id: data.settings.pageId,
    name: data.settings.pageName,
    url: siteUrl,
    time_zone: data.settings.timeZone,
    updated_at: iso(data.updatedAt),
  };
}

/**
 * Statuspage's flat component list: each group appears as a component with `group: true`
 * and its children's ids, followed by its children (which point back with `group_id`), in
 * page order. Empty groups are left out, as on the page.
 */
function componentListJson(data: StatusPageData, ctx: Ctx): V2Component[] {
  return data.items.flatMap((item) =>
    item.type === 'group'
      ? [groupJson(item.group, ctx), ...item.group.components.map((c) => componentJson(c, ctx))]
      : [componentJson(item.component, ctx)],
  );
}

export function componentJson(c: ComponentView, ctx: Ctx): V2Component {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    position: c.position,
    description: c.description,
    showcase: c.showcase,
    start_date: c.startDate,
    group_id: c.groupId,
    page_id: ctx.pageId,
    group: false,
    only_show_if_degraded: c.onlyShowIfDegraded,
  };
}

function groupJson(g: GroupView, ctx: Ctx): V2Component {
  return {
    id: g.id,
    name: g.name,
    status: worstStatus(g.components.map((c) => c.status)),
    created_at: iso(g.createdAt),
    updated_at: iso(g.updatedAt),
    position: g.position,
    description: g.description,
    showcase: false,
    start_date: null,
    group_id: null,
    page_id: ctx.pageId,
    group: true,
    only_show_if_degraded: false,
    components: g.components.map((c) => c.id),
  };
}

export function incidentJson(i: IncidentView, ctx: Ctx): V2Incident {
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    created_at: iso(i.createdAt),
    updated_at: iso(i.updatedAt),
    monitoring_at: isoOrNull(i.monitoringAt),
    resolved_at: isoOrNull(i.resolvedAt),
    impact: i.impact,
    shortlink: `${ctx.siteUrl}/incidents/${encodeURIComponent(i.id)}`,
    started_at: iso(i.startedAt),
    page_id: ctx.pageId,
    // Newest first, as Statuspage lists them.
    incident_updates: [...i.updates]
      .sort((a, b) => b.displayAt.getTime() - a.displayAt.getTime() || b.createdAt.getTime() - a.createdAt.getTime())
      .map(updateJson),
    components: i.components.map((c) => componentJson(c, ctx)),
    // Statuspage's reminder schedule; Vigie's single 60-minute reminder has no equivalent
    // list, and GitHub's page shows null here too.
    reminder_intervals: null,
  };
}

export function maintenanceJson(m: IncidentView, ctx: Ctx): V2Maintenance {
  return {
    ...incidentJson(m, ctx),
    scheduled_for: isoOrNull(m.scheduledFor),
    scheduled_until: isoOrNull(m.scheduledUntil),
  };
}

export function updateJson(u: UpdateView): V2IncidentUpdate {
  return {
    id: u.id,
    status: u.status,
    body: u.body,
    incident_id: u.incidentId,
    created_at: iso(u.createdAt),
    updated_at: iso(u.updatedAt),
    display_at: iso(u.displayAt),
    // Statuspage sends null, not [], when an update changed no component.
    affected_components: u.affected.length
      ? u.affected.map((a) => ({ code: a.componentId, name: a.name, old_status: a.oldStatus, new_status: a.newStatus }))
      : null,
    deliver_notifications: u.notify,
    custom_tweet: null,
    tweet_id: null,
  };
}

function newestFirst(list: IncidentView[]): IncidentView[] {
  return [...list].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
}

// A maintenance without a window sorts by when it was created.
function soonestFirst(list: IncidentView[]): IncidentView[] {
  const start = (m: IncidentView) => (m.scheduledFor ?? m.startedAt).getTime();
  return [...list].sort((a, b) => start(a) - start(b));
}

function iso(d: Date): string {
  return d.toISOString();
}

function isoOrNull(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}
