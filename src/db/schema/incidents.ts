import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import {
  ANY_INCIDENT_STATUSES,
  AUDIENCES,
  COMPONENT_STATUSES,
  IMPACT_SCOPES,
  INCIDENT_KINDS,
  INCIDENT_SOURCES,
  SEVERITIES,
  VISIBILITIES,
  type AnyIncidentStatus,
  type Audience,
  type ComponentStatus,
  type ImpactScope,
  type IncidentKind,
  type IncidentSource,
  type Severity,
  type Visibility,
} from '../../domain/enums.ts';
import { createdAt, idColumn, oneOf, ts, updatedAt } from './_columns.ts';
import { components } from './components.ts';
import { users } from './users.ts';

/** Other factors of the impact assessment (phase 3 of the incident process). */
export type ImpactFactors = {
  socialMedia?: boolean;
  security?: boolean;
  dataLoss?: boolean;
  /** A core feature is unavailable or degraded (points to Sev 2). */
  coreFeature?: boolean;
  /** Customers have a workaround (points to Sev 3). */
  workaround?: boolean;
  notes?: string;
};

/**
 * Incidents and scheduled maintenances, as Statuspage models them: one table, `kind` tells
 * them apart. `status` is denormalised from the latest update and kept in step with it in
 * the same transaction.
 */
export const incidents = pgTable(
  'incidents',
  {
    id: idColumn(),
    /** Human key, shown as INC-{number} in channel topics. */
    number: serial('number').notNull(),
    kind: text('kind').$type<IncidentKind>().notNull().default('incident'),
    name: text('name').notNull(),
    status: text('status').$type<AnyIncidentStatus>().notNull(),
    /** 1 critical, 2 major, 3 minor; null for maintenance. */
    severity: integer('severity').$type<Severity>(),
    visibility: text('visibility').$type<Visibility>().notNull().default('public'),
    source: text('source').$type<IncidentSource>().notNull().default('manual'),
    startedAt: ts('started_at').notNull().defaultNow(),
    identifiedAt: ts('identified_at'),
    monitoringAt: ts('monitoring_at'),
    resolvedAt: ts('resolved_at'),

    // Maintenance window.
    scheduledFor: ts('scheduled_for'),
    scheduledUntil: ts('scheduled_until'),
    autoStart: boolean('auto_start').notNull().default(false),
    autoComplete: boolean('auto_complete').notNull().default(false),
    /** Which maintenance emails go out: scheduled, 60-minute reminder, started, completed. */
    notifyScheduled: boolean('notify_scheduled').notNull().default(true),
    notifyReminder: boolean('notify_reminder').notNull().default(true),
    notifyStarted: boolean('notify_started').notNull().default(true),
    notifyCompleted: boolean('notify_completed').notNull().default(true),
    reminderSentAt: ts('reminder_sent_at'),

    // Phase 2: channels.
    chatUrl: text('chat_url'),
    videoUrl: text('video_url'),
    ticketUrl: text('ticket_url'),

    // Phase 6: roles.
    incidentManagerId: text('incident_manager_id').references(() => users.id, { onDelete: 'set null' }),
    techLeadId: text('tech_lead_id').references(() => users.id, { onDelete: 'set null' }),
    commsLeadId: text('comms_lead_id').references(() => users.id, { onDelete: 'set null' }),

    // Phase 3: impact assessment.
    impactCustomer: text('impact_customer'),
    impactVisible: text('impact_visible'),
    impactScope: text('impact_scope').$type<ImpactScope>(),
    impactStartedAt: ts('impact_started_at'),
    supportCases: integer('support_cases'),
    impactFactors: jsonb('impact_factors').$type<ImpactFactors>(),

    // Phase 7: resolution.
    recap: text('recap'),
    postmortem: text('postmortem'),
    postmortemPublishedAt: ts('postmortem_published_at'),

    /** Idempotency key of the monitoring alert group that opened it (phase 1). */
    alertKey: text('alert_key'),

    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('incidents_kind_check', oneOf(t.kind, INCIDENT_KINDS)),
    check('incidents_status_check', oneOf(t.status, ANY_INCIDENT_STATUSES)),
    check(
      'incidents_severity_check',
      sql`${t.severity} is null or ${t.severity} in (${sql.raw(SEVERITIES.join(', '))})`,
    ),
    check('incidents_visibility_check', oneOf(t.visibility, VISIBILITIES)),
    check('incidents_source_check', oneOf(t.source, INCIDENT_SOURCES)),
    check('incidents_impact_scope_check', sql`${t.impactScope} is null or ${oneOf(t.impactScope, IMPACT_SCOPES)}`),
    uniqueIndex('incidents_number_idx').on(t.number),
    uniqueIndex('incidents_alert_key_idx').on(t.alertKey),
    index('incidents_kind_status_idx').on(t.kind, t.status),
    index('incidents_started_at_idx').on(t.startedAt),
    index('incidents_scheduled_for_idx').on(t.scheduledFor),
  ],
);

/** The components an incident or maintenance affects (Statuspage's `components`). */
export const incidentComponents = pgTable(
  'incident_components',
  {
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.incidentId, t.componentId] }),
    index('incident_components_component_idx').on(t.componentId),
  ],
);

/** The event log of an incident: every update, public or internal. */
export const incidentUpdates = pgTable(
  'incident_updates',
  {
    id: idColumn(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    status: text('status').$type<AnyIncidentStatus>().notNull(),
    /** Markdown; rendered only through src/server/markdown.ts, which sanitizes. */
    body: text('body').notNull(),
    audience: text('audience').$type<Audience>().notNull().default('public'),
    authorId: text('author_id').references(() => users.id, { onDelete: 'set null' }),
    /** Shown name of the author (a user, an API token or a monitoring hook). */
    authorName: text('author_name'),
    templateId: text('template_id'),
    notify: boolean('notify').notNull().default(true),
    /**
     * Set when a form or API call sent an idempotency key: a second call with the same key
     * returns this update instead of posting again. Scoped by caller and verb (see
     * src/server/incidents/idempotency.ts); null for most updates.
     */
    idempotencyKey: text('idempotency_key'),
    displayAt: ts('display_at').notNull().defaultNow(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('incident_updates_status_check', oneOf(t.status, ANY_INCIDENT_STATUSES)),
    check('incident_updates_audience_check', oneOf(t.audience, AUDIENCES)),
    index('incident_updates_incident_idx').on(t.incidentId, t.displayAt),
    index('incident_updates_display_at_idx').on(t.displayAt),
    uniqueIndex('incident_updates_idempotency_key_idx').on(t.idempotencyKey),
  ],
);

/** What an update did to each component it touched (Statuspage's `affected_components`). */
export const incidentUpdateComponents = pgTable(
  'incident_update_components',
  {
    updateId: text('update_id')
      .notNull()
      .references(() => incidentUpdates.id, { onDelete: 'cascade' }),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
    oldStatus: text('old_status').$type<ComponentStatus>().notNull(),
    newStatus: text('new_status').$type<ComponentStatus>().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.updateId, t.componentId] }),
    check('incident_update_components_old_check', oneOf(t.oldStatus, COMPONENT_STATUSES)),
    check('incident_update_components_new_check', oneOf(t.newStatus, COMPONENT_STATUSES)),
  ],
);
