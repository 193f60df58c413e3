/**
 * The management API's JSON: the v2 shapes (src/server/statuspage/serialize.ts) plus what
 * staff see and customers do not: visibility, severity, each update's audience, the
 * incident's roles, links and impact assessment, a maintenance's automation and email flags.
 */
import type { GroupWithComponents } from '../components/queries.ts';
import type { Component } from '../components/service.ts';
import type { IncidentDetail } from '../incidents/queries.ts';
import type { IncidentUpdate } from '../incidents/service.ts';
import {
  componentJson,
  incidentJson,
  maintenanceJson,
  updateJson,
  type Ctx,
  type V2IncidentUpdate,
} from '../statuspage/serialize.ts';
import type { UpdateView } from '../status-page/queries.ts';
import type { SubscriberListItem } from '../subscribers/queries.ts';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function v1Component(c: Component, ctx: Ctx) {
  return { ...componentJson(c, ctx), visibility: c.visibility };
}

export function v1Group(g: GroupWithComponents, ctx: Ctx) {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    position: g.position,
    visibility: g.visibility,
    collapsed: g.collapsed,
    components: g.componentIds,
    page_id: ctx.pageId,
    created_at: iso(g.createdAt),
    updated_at: iso(g.updatedAt),
  };
}

/** An update as v2 shows it, plus its audience. */
export function v1Update(u: UpdateView): V2IncidentUpdate & { audience: string } {
  return { ...updateJson(u), audience: u.audience };
}

/** An update just written, before it is read back through the read model. */
export function v1UpdateRow(u: IncidentUpdate, detail: IncidentDetail | null) {
  const view = detail?.view.updates.find((v) => v.id === u.id);
  return view
    ? v1Update(view)
    : {
        id: u.id,
        status: u.status,
        body: u.body,
        incident_id: u.incidentId,
        created_at: iso(u.createdAt),
        updated_at: iso(u.updatedAt),
        display_at: iso(u.displayAt),
        affected_components: null,
        deliver_notifications: u.notify,
        custom_tweet: null,
        tweet_id: null,
        audience: u.audience,
      };
}

function common({ row, view }: IncidentDetail) {
  return {
    number: row.number,
    kind: row.kind,
    visibility: row.visibility,
    source: row.source,
    incident_updates: view.updates
      .slice()
      .sort((a, b) => b.displayAt.getTime() - a.displayAt.getTime() || b.createdAt.getTime() - a.createdAt.getTime())
      .map(v1Update),
  };
}

export function v1Incident(detail: IncidentDetail, ctx: Ctx) {
  const { row, view } = detail;
  return {
    ...incidentJson(view, ctx),
    ...common(detail),
    severity: row.severity,
    identified_at: iso(row.identifiedAt),
    incident_manager_id: row.incidentManagerId,
    tech_lead_id: row.techLeadId,
    comms_lead_id: row.commsLeadId,
    chat_url: row.chatUrl,
    video_url: row.videoUrl,
    ticket_url: row.ticketUrl,
    impact_customer: row.impactCustomer,
    impact_visible: row.impactVisible,
    impact_scope: row.impactScope,
    impact_started_at: iso(row.impactStartedAt),
    support_cases: row.supportCases,
    impact_factors: row.impactFactors
      ? {
          social_media: row.impactFactors.socialMedia ?? false,
          security: row.impactFactors.security ?? false,
          data_loss: row.impactFactors.dataLoss ?? false,
          core_feature: row.impactFactors.coreFeature ?? false,
          workaround: row.impactFactors.workaround ?? false,
          notes: row.impactFactors.notes ?? null,
        }
      : null,
    recap: row.recap,
    postmortem: row.postmortem,
    postmortem_published_at: iso(row.postmortemPublishedAt),
  };
}

export function v1Maintenance(detail: IncidentDetail, ctx: Ctx) {
  const { row, view } = detail;
  return {
    ...maintenanceJson(view, ctx),
    ...common(detail),
    auto_start: row.autoStart,
    auto_complete: row.autoComplete,
    notify_scheduled: row.notifyScheduled,
    notify_reminder: row.notifyReminder,
    notify_started: row.notifyStarted,
    notify_completed: row.notifyCompleted,
  };
}

export function v1Subscriber(s: Omit<SubscriberListItem, 'state'> & { state?: SubscriberListItem['state'] }) {
  return {
    id: s.id,
    email: s.email,
    state: s.state ?? (s.confirmedAt ? 'confirmed' : 'unconfirmed'),
    all_components: s.allComponents,
    component_ids: s.componentIds,
    confirmed_at: iso(s.confirmedAt),
    unsubscribed_at: iso(s.unsubscribedAt),
    suppressed_at: iso(s.suppressedAt),
    suppression_reason: s.suppressionReason,
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
  };
}
