/**
 * The closed sets of values Vigie stores. Plain `as const` tuples with no drizzle
 * import, so the schema, zod and the UI share one list.
 */

export const COMPONENT_STATUSES = [
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'under_maintenance',
] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'verifying', 'completed'] as const;
export type MaintenanceStatus = (typeof MAINTENANCE_STATUSES)[number];

/** An incident row holds either kind; its status comes from the matching list. */
export const INCIDENT_KINDS = ['incident', 'maintenance'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

export const ANY_INCIDENT_STATUSES = [...INCIDENT_STATUSES, ...MAINTENANCE_STATUSES] as const;
export type AnyIncidentStatus = IncidentStatus | MaintenanceStatus;

export const SEVERITIES = [1, 2, 3] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Statuspage's `impact` field. */
export const IMPACTS = ['none', 'minor', 'major', 'critical', 'maintenance'] as const;
export type Impact = (typeof IMPACTS)[number];

export const VISIBILITIES = ['public', 'internal'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export const AUDIENCES = ['public', 'internal'] as const;
export type Audience = (typeof AUDIENCES)[number];

export const TEMPLATE_AUDIENCES = ['external', 'internal'] as const;
export type TemplateAudience = (typeof TEMPLATE_AUDIENCES)[number];

export const ROLES = ['viewer', 'responder', 'comms', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const INCIDENT_ROLES = ['incident_manager', 'tech_lead', 'comms_lead'] as const;
export type IncidentRole = (typeof INCIDENT_ROLES)[number];

export const IMPACT_SCOPES = ['some', 'all'] as const;
export type ImpactScope = (typeof IMPACT_SCOPES)[number];

export const DELIVERY_STATUSES = ['pending', 'sending', 'sent', 'failed', 'skipped'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const INCIDENT_SOURCES = ['manual', 'api', 'alertmanager', 'grafana', 'demo'] as const;
export type IncidentSource = (typeof INCIDENT_SOURCES)[number];

export const ACTOR_TYPES = ['user', 'token', 'system', 'webhook'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];
