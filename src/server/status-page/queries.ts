/**
 * The read model behind every status surface: the page, the v2 API and the feeds.
 * Each loader runs a constant number of queries whatever the number of components or
 * incidents (test/integration/status-page-queries.test.ts counts them).
 *
 * `audience: 'public'` is the only way public surfaces call these: it filters internal
 * components, groups, incidents and updates in SQL, so they never reach a renderer.
 */
import { and, asc, desc, eq, gte, inArray, isNotNull, lt, ne, notInArray, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/client.ts';
import {
  componentGroups,
  components,
  componentStatusChanges,
  incidentComponents,
  incidents,
  incidentUpdateComponents,
  incidentUpdates,
  users,
  type ImpactFactors,
} from '../../db/schema/index.ts';
import type {
  AnyIncidentStatus,
  Audience,
  ComponentStatus,
  Impact,
  ImpactScope,
  IncidentKind,
  Severity,
  Visibility,
} from '../../domain/enums.ts';
import { impactOf } from '../../domain/severity.ts';
import { worstStatus } from '../../domain/status.ts';
import { getSettings, type Settings } from '../settings/queries.ts';

export type ViewAudience = Audience;

export type ComponentView = {
  id: string;
  groupId: string | null;
  name: string;
  description: string | null;
  position: number;
  visibility: Visibility;
  status: ComponentStatus;
  showcase: boolean;
  onlyShowIfDegraded: boolean;
  startDate: string | null;
  createdAt: Date;
  updatedAt: Date;
};

export type GroupView = {
  id: string;
  name: string;
  description: string | null;
  position: number;
  visibility: Visibility;
  collapsed: boolean;
  /** The worst status of its visible components. */
  status: ComponentStatus;
  createdAt: Date;
  updatedAt: Date;
  components: ComponentView[];
};

export type AffectedComponent = {
  componentId: string;
  name: string;
  oldStatus: ComponentStatus;
  newStatus: ComponentStatus;
};

export type UpdateView = {
  id: string;
  incidentId: string;
  status: AnyIncidentStatus;
  body: string;
  audience: Audience;
  notify: boolean;
  displayAt: Date;
  createdAt: Date;
  updatedAt: Date;
  affected: AffectedComponent[];
};

export type IncidentView = {
  id: string;
  number: number;
  kind: IncidentKind;
  name: string;
  status: AnyIncidentStatus;
  severity: Severity | null;
  impact: Impact;
  visibility: Visibility;
  startedAt: Date;
  identifiedAt: Date | null;
  monitoringAt: Date | null;
  resolvedAt: Date | null;
  scheduledFor: Date | null;
  scheduledUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
  components: ComponentView[];
  /** Newest first. */
  updates: UpdateView[];
};

/** A top-level row of the page: a group with its components, or a component outside any group. */
export type PageItem = { type: 'group'; group: GroupView } | { type: 'component'; component: ComponentView };

export type StatusHistoryEvent = { componentId: string; status: ComponentStatus; at: Date };

export type StatusPageData = {
  settings: Settings;
  groups: GroupView[];
  /** Every visible component, groups' children included, in page order. */
  components: ComponentView[];
  items: PageItem[];
  /** Unresolved incidents (investigating, identified, monitoring), newest first. */
  unresolvedIncidents: IncidentView[];
  /** The latest incidents of any status, newest first (incidents.json). */
  recentIncidents: IncidentView[];
  /** Maintenances not completed whose window has started or that were started by hand. */
  activeMaintenances: IncidentView[];
  /** Scheduled maintenances still to come, soonest first. */
  upcomingMaintenances: IncidentView[];
  /** The latest maintenances of any status, newest first (scheduled-maintenances.json). */
  recentMaintenances: IncidentView[];
  /** Status changes in the uptime window, plus each component's last change before it. Only with `history`. */
  history: StatusHistoryEvent[] | null;
  /** The newest change time of anything shown: the v2 `page.updated_at`. */
  updatedAt: Date;
};

export const UNRESOLVED_INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring'] as const;
export const CLOSED_STATUSES = ['resolved', 'postmortem', 'completed'] as const;

/** How many incidents and maintenances the "recent" lists hold, as Statuspage's v2 API does. */
export const RECENT_LIMIT = 50;

export type LoadOptions = {
  audience: ViewAudience;
  now: Date;
  /** Load the status history for the uptime bars (the page needs it, the API does not). */
  history?: { days: number };
};

/**
 * The incident columns a status surface reads, whatever its audience. Never the process
 * fields (roles, chat/video/ticket links, impact assessment, recap, post-mortem): those are
 * read only by loadIncidentResponses (staff) and loadPublishedPostmortem (published text only),
 * so a public loader cannot pass them on by mistake.
 */
const VIEW_COLUMNS = {
  id: incidents.id,
  number: incidents.number,
  kind: incidents.kind,
  name: incidents.name,
  status: incidents.status,
  severity: incidents.severity,
  visibility: incidents.visibility,
  startedAt: incidents.startedAt,
  identifiedAt: incidents.identifiedAt,
  monitoringAt: incidents.monitoringAt,
  resolvedAt: incidents.resolvedAt,
  scheduledFor: incidents.scheduledFor,
  scheduledUntil: incidents.scheduledUntil,
  createdAt: incidents.createdAt,
  updatedAt: incidents.updatedAt,
};

/** Everything a status surface shows, in a constant number of queries. */
export async function loadStatusPage(db: Db, options: LoadOptions): Promise<StatusPageData> {
  const { audience, now } = options;
  const settings = await getSettings(db);
  const internal = audience === 'internal';

  const groupRows = await db
    .select()
    .from(componentGroups)
    .where(internal ? undefined : eq(componentGroups.visibility, 'public'))
    .orderBy(asc(componentGroups.position), asc(componentGroups.name));
  const groupIds = new Set(groupRows.map((g) => g.id));

  const componentRows = await db
    .select()
    .from(components)
    .where(internal ? undefined : eq(components.visibility, 'public'))
    .orderBy(asc(components.position), asc(components.name));
  // A public component inside an internal group is hidden with its group: the group's
  // name would otherwise leak through `group_id`.
  const visibleComponents: ComponentView[] = componentRows
    .filter((c) => c.groupId === null || groupIds.has(c.groupId))
    .map(toComponentView);
  const componentById = new Map(visibleComponents.map((c) => [c.id, c]));

  const groups: GroupView[] = groupRows.map((g) => {
    const children = visibleComponents.filter((c) => c.groupId === g.id);
    return {
      id: g.id,
      name: g.name,
      description: g.description,
      position: g.position,
      visibility: g.visibility,
      collapsed: g.collapsed,
      status: worstStatus(children.map((c) => c.status)),
      createdAt: g.createdAt,
      updatedAt: g.updatedAt,
      components: children,
    };
  });

  const items: PageItem[] = [
    ...groups.filter((g) => g.components.length > 0).map((group) => ({ type: 'group' as const, group })),
    ...visibleComponents
      .filter((c) => c.groupId === null)
      .map((component) => ({ type: 'component' as const, component })),
  ].sort((a, b) => itemPosition(a) - itemPosition(b));

  const orderedComponents = items.flatMap((i) => (i.type === 'group' ? i.group.components : [i.component]));

  // Incidents: the open ones, the upcoming maintenances, and the latest RECENT_LIMIT of each kind.
  const visibility = internal ? undefined : eq(incidents.visibility, 'public');
  const recentIds = (kind: IncidentKind) =>
    db
      .select({ id: incidents.id })
      .from(incidents)
      .where(and(eq(incidents.kind, kind), visibility))
      .orderBy(desc(incidents.startedAt))
      .limit(RECENT_LIMIT);
  const incidentRows = await db
    .select(VIEW_COLUMNS)
    .from(incidents)
    .where(
      and(
        visibility,
        or(
          notInArray(incidents.status, [...CLOSED_STATUSES]),
          inArray(incidents.id, recentIds('incident')),
          inArray(incidents.id, recentIds('maintenance')),
        ),
      ),
    )
    .orderBy(desc(incidents.startedAt));

  const views = await hydrateIncidents(db, incidentRows, { audience, componentById });

  const incidentsOnly = views.filter((i) => i.kind === 'incident');
  const maintenances = views.filter((i) => i.kind === 'maintenance');
  const isActiveMaintenance = (m: IncidentView) =>
    m.status === 'in_progress' ||
    m.status === 'verifying' ||
    (m.status === 'scheduled' &&
      m.scheduledFor !== null &&
      m.scheduledFor <= now &&
      (m.scheduledUntil === null || m.scheduledUntil > now));
  const activeMaintenances = maintenances.filter(isActiveMaintenance);
  const upcomingMaintenances = maintenances
    .filter(
      (m) => m.status === 'scheduled' && !isActiveMaintenance(m) && (m.scheduledFor === null || m.scheduledFor > now),
    )
    .sort((a, b) => (a.scheduledFor?.getTime() ?? 0) - (b.scheduledFor?.getTime() ?? 0));

  let history: StatusHistoryEvent[] | null = null;
  if (options.history) {
    history = await loadStatusHistory(
      db,
      visibleComponents.map((c) => c.id),
      new Date(now.getTime() - (options.history.days + 1) * 86_400_000),
    );
  }

  const updatedAt = new Date(
    Math.max(
      settings.updatedAt.getTime(),
      ...groupRows.map((g) => g.updatedAt.getTime()),
      ...visibleComponents.map((c) => c.updatedAt.getTime()),
      ...views.map((i) => i.updatedAt.getTime()),
    ),
  );

  return {
    settings,
    groups,
    components: orderedComponents,
    items,
    unresolvedIncidents: incidentsOnly.filter((i) =>
      (UNRESOLVED_INCIDENT_STATUSES as readonly string[]).includes(i.status),
    ),
    recentIncidents: incidentsOnly.slice(0, RECENT_LIMIT),
    activeMaintenances,
    upcomingMaintenances,
    recentMaintenances: maintenances.slice(0, RECENT_LIMIT),
    history,
    updatedAt,
  };
}

function itemPosition(item: PageItem): number {
  return item.type === 'group' ? item.group.position : item.component.position;
}

/**
 * Status changes since `since` for the given components, plus the last change before it
 * (the status each component had when the window opened). Two queries.
 */
export async function loadStatusHistory(db: Db, componentIds: string[], since: Date): Promise<StatusHistoryEvent[]> {
  if (componentIds.length === 0) return [];
  const cols = {
    componentId: componentStatusChanges.componentId,
    status: componentStatusChanges.status,
    at: componentStatusChanges.at,
  };
  const before = await db
    .selectDistinctOn([componentStatusChanges.componentId], cols)
    .from(componentStatusChanges)
    .where(and(inArray(componentStatusChanges.componentId, componentIds), lt(componentStatusChanges.at, since)))
    .orderBy(componentStatusChanges.componentId, desc(componentStatusChanges.at), desc(componentStatusChanges.id));
  const within = await db
    .select(cols)
    .from(componentStatusChanges)
    .where(and(inArray(componentStatusChanges.componentId, componentIds), gte(componentStatusChanges.at, since)))
    .orderBy(asc(componentStatusChanges.at), asc(componentStatusChanges.id));
  return [...before, ...within];
}

type IncidentRow = Pick<typeof incidents.$inferSelect, keyof typeof VIEW_COLUMNS>;

/** Attaches updates (newest first), affected components and each update's component changes. Three queries. */
export async function hydrateIncidents(
  db: Db,
  rows: IncidentRow[],
  ctx: { audience: ViewAudience; componentById: Map<string, ComponentView> },
): Promise<IncidentView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const updateRows = await db
    .select()
    .from(incidentUpdates)
    .where(
      and(
        inArray(incidentUpdates.incidentId, ids),
        ctx.audience === 'internal' ? undefined : eq(incidentUpdates.audience, 'public'),
      ),
    )
    .orderBy(desc(incidentUpdates.displayAt), desc(incidentUpdates.createdAt));
  const links = await db.select().from(incidentComponents).where(inArray(incidentComponents.incidentId, ids));
  const changesByUpdate = await loadChangesByUpdate(
    db,
    updateRows.map((u) => u.id),
    ctx.componentById,
  );
  const updatesByIncident = groupBy(updateRows, (u) => u.incidentId);
  const linksByIncident = groupBy(
    links.filter((l) => ctx.componentById.has(l.componentId)),
    (l) => l.incidentId,
  );

  return rows.map((r) => ({
    id: r.id,
    number: r.number,
    kind: r.kind,
    name: r.name,
    status: r.status,
    severity: r.severity,
    impact: impactOf({ kind: r.kind, severity: r.severity }),
    visibility: r.visibility,
    startedAt: r.startedAt,
    identifiedAt: r.identifiedAt,
    monitoringAt: r.monitoringAt,
    resolvedAt: r.resolvedAt,
    scheduledFor: r.scheduledFor,
    scheduledUntil: r.scheduledUntil,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    components: (linksByIncident.get(r.id) ?? [])
      .map((l) => ctx.componentById.get(l.componentId)!)
      .sort((a, b) => a.position - b.position || a.name.localeCompare(b.name)),
    updates: (updatesByIncident.get(r.id) ?? []).map((u) => toUpdateView(u, changesByUpdate, ctx.componentById)),
  }));
}

/** The visible components, by id, for hydrating incidents outside loadStatusPage. One query. */
export async function loadComponentIndex(db: Db, audience: ViewAudience): Promise<Map<string, ComponentView>> {
  const rows = await db
    .select({ c: components, groupVisibility: componentGroups.visibility })
    .from(components)
    .leftJoin(componentGroups, eq(components.groupId, componentGroups.id))
    .where(
      audience === 'internal'
        ? undefined
        : and(
            eq(components.visibility, 'public'),
            or(sql`${components.groupId} is null`, eq(componentGroups.visibility, 'public')),
          ),
    );
  return new Map(rows.map((r) => [r.c.id, toComponentView(r.c)]));
}

/** One incident or maintenance with its whole timeline, or null when it does not exist or is not visible. */
export async function loadIncident(db: Db, id: string, audience: ViewAudience): Promise<IncidentView | null> {
  const [row] = await db
    .select(VIEW_COLUMNS)
    .from(incidents)
    .where(and(eq(incidents.id, id), audience === 'internal' ? undefined : eq(incidents.visibility, 'public')));
  if (!row) return null;
  const componentById = await loadComponentIndex(db, audience);
  const [view] = await hydrateIncidents(db, [row], { audience, componentById });
  return view;
}

/** Incidents and maintenances that started in [from, to), newest first. */
export async function loadIncidentsBetween(
  db: Db,
  from: Date,
  to: Date,
  audience: ViewAudience,
): Promise<IncidentView[]> {
  const rows = await db
    .select(VIEW_COLUMNS)
    .from(incidents)
    .where(
      and(
        gte(incidents.startedAt, from),
        lt(incidents.startedAt, to),
        audience === 'internal' ? undefined : eq(incidents.visibility, 'public'),
        // A maintenance still to come belongs to the page, not to the history.
        or(ne(incidents.kind, 'maintenance'), ne(incidents.status, 'scheduled')),
      ),
    )
    .orderBy(desc(incidents.startedAt));
  const componentById = await loadComponentIndex(db, audience);
  return hydrateIncidents(db, rows, { audience, componentById });
}

/** The start time of the oldest visible incident, for the history's pagination. */
export async function oldestIncidentStart(db: Db, audience: ViewAudience): Promise<Date | null> {
  const [row] = await db
    .select({ at: sql<Date | string | null>`min(${incidents.startedAt})` })
    .from(incidents)
    .where(audience === 'internal' ? undefined : eq(incidents.visibility, 'public'));
  return row?.at ? new Date(row.at) : null;
}

/** A published post-mortem: its Markdown and when it was published. */
export type PublishedPostmortem = { body: string; publishedAt: Date };

/**
 * The published post-mortem of a public incident, or null. A draft (text stored, not yet
 * published) is filtered in SQL: the row is not read at all. One query.
 */
export async function loadPublishedPostmortem(db: Db, id: string): Promise<PublishedPostmortem | null> {
  const [row] = await db
    .select({ body: incidents.postmortem, publishedAt: incidents.postmortemPublishedAt })
    .from(incidents)
    .where(
      and(
        eq(incidents.id, id),
        eq(incidents.visibility, 'public'),
        isNotNull(incidents.postmortemPublishedAt),
        isNotNull(incidents.postmortem),
      ),
    );
  return row?.body && row.publishedAt ? { body: row.body, publishedAt: row.publishedAt } : null;
}

/** Who holds a response role: the user's name, or their email when they have none. */
export type RoleHolder = { id: string; name: string };

/** The incident process's staff-only fields of one incident (phases 2, 3, 6 and 7). */
export type IncidentResponseData = {
  id: string;
  chatUrl: string | null;
  videoUrl: string | null;
  ticketUrl: string | null;
  incidentManager: RoleHolder | null;
  techLead: RoleHolder | null;
  commsLead: RoleHolder | null;
  impactCustomer: string | null;
  impactVisible: string | null;
  impactScope: ImpactScope | null;
  impactStartedAt: Date | null;
  supportCases: number | null;
  impactFactors: ImpactFactors | null;
  recap: string | null;
  /** The post-mortem text, draft or published. */
  postmortem: string | null;
  postmortemPublishedAt: Date | null;
};

/**
 * STAFF ONLY: roles (with the holders' names), links, impact assessment, recap and the
 * post-mortem, draft included, of the given incidents, by id. Only the internal loaders
 * call it; no public surface may. One query (none for no ids).
 */
export async function loadIncidentResponses(db: Db, ids: string[]): Promise<Map<string, IncidentResponseData>> {
  if (ids.length === 0) return new Map();
  const manager = alias(users, 'manager');
  const tech = alias(users, 'tech');
  const comms = alias(users, 'comms');
  const rows = await db
    .select({
      id: incidents.id,
      chatUrl: incidents.chatUrl,
      videoUrl: incidents.videoUrl,
      ticketUrl: incidents.ticketUrl,
      impactCustomer: incidents.impactCustomer,
      impactVisible: incidents.impactVisible,
      impactScope: incidents.impactScope,
      impactStartedAt: incidents.impactStartedAt,
      supportCases: incidents.supportCases,
      impactFactors: incidents.impactFactors,
      recap: incidents.recap,
      postmortem: incidents.postmortem,
      postmortemPublishedAt: incidents.postmortemPublishedAt,
      manager: { id: manager.id, name: manager.name, email: manager.email },
      tech: { id: tech.id, name: tech.name, email: tech.email },
      comms: { id: comms.id, name: comms.name, email: comms.email },
    })
    .from(incidents)
    .leftJoin(manager, eq(incidents.incidentManagerId, manager.id))
    .leftJoin(tech, eq(incidents.techLeadId, tech.id))
    .leftJoin(comms, eq(incidents.commsLeadId, comms.id))
    .where(inArray(incidents.id, ids));
  const roleHolder = (u: { id: string; name: string; email: string } | null): RoleHolder | null =>
    u ? { id: u.id, name: u.name.trim() || u.email } : null;
  return new Map(
    rows.map(({ manager: m, tech: t, comms: c, ...r }) => [
      r.id,
      { ...r, incidentManager: roleHolder(m), techLead: roleHolder(t), commsLead: roleHolder(c) },
    ]),
  );
}

export type FeedEntry = {
  update: UpdateView;
  incident: { id: string; name: string; kind: IncidentKind; status: AnyIncidentStatus; impact: Impact };
};

/** The latest public updates, optionally only those of incidents that affect one component. Three queries. */
export async function loadFeedEntries(
  db: Db,
  options: { audience: ViewAudience; componentId?: string; limit: number },
): Promise<FeedEntry[]> {
  const componentById = await loadComponentIndex(db, options.audience);
  if (options.componentId && !componentById.has(options.componentId)) return [];
  const conditions: (SQL | undefined)[] = [
    options.audience === 'internal' ? undefined : eq(incidentUpdates.audience, 'public'),
    options.audience === 'internal' ? undefined : eq(incidents.visibility, 'public'),
    options.componentId
      ? inArray(
          incidents.id,
          db
            .select({ id: incidentComponents.incidentId })
            .from(incidentComponents)
            .where(eq(incidentComponents.componentId, options.componentId)),
        )
      : undefined,
  ];
  const rows = await db
    .select({
      u: incidentUpdates,
      i: {
        id: incidents.id,
        name: incidents.name,
        kind: incidents.kind,
        status: incidents.status,
        severity: incidents.severity,
      },
    })
    .from(incidentUpdates)
    .innerJoin(incidents, eq(incidentUpdates.incidentId, incidents.id))
    .where(and(...conditions))
    .orderBy(desc(incidentUpdates.displayAt), desc(incidentUpdates.createdAt))
    .limit(options.limit);
  const changesByUpdate = await loadChangesByUpdate(
    db,
    rows.map((r) => r.u.id),
    componentById,
  );
  return rows.map(({ u, i }) => ({
    incident: {
      id: i.id,
      name: i.name,
      kind: i.kind,
      status: i.status,
      impact: impactOf({ kind: i.kind, severity: i.severity }),
    },
    update: toUpdateView(u, changesByUpdate, componentById),
  }));
}

/** What each update did to the visible components, by update id. One query (none for no updates). */
async function loadChangesByUpdate(
  db: Db,
  updateIds: string[],
  componentById: Map<string, ComponentView>,
): Promise<Map<string, (typeof incidentUpdateComponents.$inferSelect)[]>> {
  if (updateIds.length === 0) return new Map();
  const changes = await db
    .select()
    .from(incidentUpdateComponents)
    .where(inArray(incidentUpdateComponents.updateId, updateIds));
  return groupBy(
    changes.filter((c) => componentById.has(c.componentId)),
    (c) => c.updateId,
  );
}

function toUpdateView(
  u: typeof incidentUpdates.$inferSelect,
  changesByUpdate: Map<string, (typeof incidentUpdateComponents.$inferSelect)[]>,
  componentById: Map<string, ComponentView>,
): UpdateView {
  return {
    id: u.id,
    incidentId: u.incidentId,
    status: u.status,
    body: u.body,
    audience: u.audience,
    notify: u.notify,
    displayAt: u.displayAt,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
    affected: (changesByUpdate.get(u.id) ?? []).map((c) => ({
      componentId: c.componentId,
      name: componentById.get(c.componentId)!.name,
      oldStatus: c.oldStatus,
      newStatus: c.newStatus,
    })),
  };
}

function toComponentView(c: typeof components.$inferSelect): ComponentView {
  return {
    id: c.id,
    groupId: c.groupId,
    name: c.name,
    description: c.description,
    position: c.position,
    visibility: c.visibility,
    status: c.status,
    showcase: c.showcase,
    onlyShowIfDegraded: c.onlyShowIfDegraded,
    startDate: c.startDate,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

function groupBy<T, K>(list: T[], key: (item: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>();
  for (const item of list) {
    const k = key(item);
    const bucket = map.get(k);
    if (bucket) bucket.push(item);
    else map.set(k, [item]);
  }
  return map;
}
