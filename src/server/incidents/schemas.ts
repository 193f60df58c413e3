/** Input of the incident services (camelCase; errors name the API's snake_case fields). */
import { z } from 'zod';
import {
  ANY_INCIDENT_STATUSES,
  AUDIENCES,
  COMPONENT_STATUSES,
  IMPACT_SCOPES,
  INCIDENT_KINDS,
  INCIDENT_SOURCES,
} from '../../domain/enums.ts';
import { componentStatusField, visibilityField } from '../components/schemas.ts';
import {
  flag,
  idempotencyKeyField,
  idField,
  instantField,
  intField,
  nameField,
  optionalId,
  optionalText,
  optionalUrl,
  textField,
  trustedDate,
} from '../fields.ts';

export const severityField = () =>
  z.literal([1, 2, 3], { error: 'Choose a severity: 1 (critical), 2 (major) or 3 (minor)' });
export const anyStatusField = () =>
  z.enum(ANY_INCIDENT_STATUSES, { error: `Choose one of: ${ANY_INCIDENT_STATUSES.join(', ')}` });
export const audienceField = () => z.enum(AUDIENCES, { error: 'Choose public or internal' });

/** `{ "<component id>": "<status>" }`: the components an update moves, and where to. */
export const componentChangesField = () =>
  z.record(idField('component id'), componentStatusField(), {
    error: `Send an object of component id → status (${COMPONENT_STATUSES.join(', ')})`,
  });

/** Roles, links and the impact assessment (phases 2, 3 and 6 of the incident process). */
export const processFields = {
  incidentManagerId: optionalId('user id'),
  techLeadId: optionalId('user id'),
  commsLeadId: optionalId('user id'),
  chatUrl: optionalUrl(),
  videoUrl: optionalUrl(),
  ticketUrl: optionalUrl(),
  impactCustomer: optionalText(5_000),
  impactVisible: optionalText(5_000),
  impactScope: z.enum(IMPACT_SCOPES, { error: 'Choose some or all' }).nullish(),
  impactStartedAt: instantField().nullish(),
  supportCases: intField(0, 10_000_000).nullish(),
  impactFactors: z
    .object(
      {
        socialMedia: flag().optional(),
        security: flag().optional(),
        dataLoss: flag().optional(),
        coreFeature: flag().optional(),
        workaround: flag().optional(),
        notes: z.string({ error: 'Must be text' }).max(5_000, 'Keep it under 5000 characters').optional(),
      },
      { error: 'Send an object: social_media, security, data_loss, core_feature, workaround, notes' },
    )
    .nullish(),
  recap: optionalText(20_000),
};

export const CreateIncidentSchema = z.object({
  kind: z.enum(INCIDENT_KINDS, { error: 'Choose incident or maintenance' }).optional(),
  /** Required unless a template proposes one. */
  name: nameField('incident', 255).optional(),
  /** Required unless a template proposes one. */
  status: anyStatusField().optional(),
  /** Required for an incident; a maintenance has none. */
  severity: severityField().nullish(),
  visibility: visibilityField().optional(),
  source: z.enum(INCIDENT_SOURCES, { error: `Choose one of: ${INCIDENT_SOURCES.join(', ')}` }).optional(),
  /** The first update's text (Markdown); required unless a template gives it. */
  body: textField('Write the first update').optional(),
  /** The first update's audience; defaults to the incident's visibility. */
  audience: audienceField().optional(),
  /** Email subscribers about the first update (public updates only; default yes). */
  notify: flag().optional(),
  /** Components to link, with the status to set on each. */
  components: componentChangesField().optional(),
  /** Components to link without changing their status (a maintenance's). */
  componentIds: z.array(idField('component id'), { error: 'Send a list of component ids' }).max(1_000).optional(),
  startedAt: trustedDate().optional(),
  scheduledFor: instantField().nullish(),
  scheduledUntil: instantField().nullish(),
  autoStart: flag().optional(),
  autoComplete: flag().optional(),
  notifyScheduled: flag().optional(),
  notifyReminder: flag().optional(),
  notifyStarted: flag().optional(),
  notifyCompleted: flag().optional(),
  templateId: optionalId('template id'),
  idempotencyKey: idempotencyKeyField(),
  ...processFields,
});
export type CreateIncidentInput = z.input<typeof CreateIncidentSchema>;

export const PostUpdateSchema = z.object({
  /** Required unless a template proposes one; must be a status of the incident's kind. */
  status: anyStatusField().optional(),
  /** Markdown; required unless a template gives it. */
  body: textField('Write the update').optional(),
  /** Defaults to the incident's visibility; an internal incident takes internal updates only. */
  audience: audienceField().optional(),
  notify: flag().optional(),
  components: componentChangesField().optional(),
  /** When it happened; only trusted code back-dates (the seed). */
  at: trustedDate().optional(),
  templateId: optionalId('template id'),
  idempotencyKey: idempotencyKeyField(),
});
export type PostUpdateInput = z.input<typeof PostUpdateSchema>;

export const ResolveIncidentSchema = PostUpdateSchema.omit({ status: true }).extend({
  /**
   * The final internal recap (phase 7): stored on the incident and posted as an internal
   * update. It never reaches customers; the closing update (`body`) is the all-clear.
   */
  recap: optionalText(20_000),
});
export type ResolveIncidentInput = z.input<typeof ResolveIncidentSchema>;

/** The longest post-mortem Vigie stores. */
export const MAX_POSTMORTEM = 100_000;

/** A post-mortem draft (internal); '' or null removes it. */
export const SavePostmortemSchema = z.object({
  body: optionalText(MAX_POSTMORTEM),
});
export type SavePostmortemInput = z.input<typeof SavePostmortemSchema>;

/** Publishing the post-mortem: the body (or the saved draft) becomes a public update. */
export const PublishPostmortemSchema = z.object({
  /** Markdown; left out, the saved draft is published. */
  body: textField('Write the post-mortem', MAX_POSTMORTEM).optional(),
  /** Email subscribers about it (default no). */
  notify: flag().optional(),
});
export type PublishPostmortemInput = z.input<typeof PublishPostmortemSchema>;

export const UpdateIncidentSchema = z.object({
  name: nameField('incident', 255).optional(),
  severity: severityField().optional(),
  visibility: visibilityField().optional(),
  status: z.never({ error: 'The status changes with an update: post one instead' }).optional(),
  ...processFields,
});
export type UpdateIncidentInput = z.input<typeof UpdateIncidentSchema>;
