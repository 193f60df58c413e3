/** Input of the maintenance services (camelCase; errors name the API's snake_case fields). */
import { z } from 'zod';
import { MAINTENANCE_STATUSES } from '../../domain/enums.ts';
import { visibilityField } from '../components/schemas.ts';
import {
  flag,
  idempotencyKeyField,
  idField,
  instantField,
  nameField,
  optionalId,
  textField,
  trustedDate,
} from '../fields.ts';

const window = {
  /** When the window opens and closes; `scheduledFor` must come first. */
  scheduledFor: instantField(),
  scheduledUntil: instantField(),
};

/** The components a maintenance covers; their status changes only when it starts. */
const componentList = () =>
  z
    .array(idField('component id'), { error: 'Send a list of component ids' })
    .min(1, 'Choose the components this maintenance affects')
    .max(1_000);

const notifyFlags = {
  /** Shorthand for all four below. */
  notify: flag().optional(),
  notifyScheduled: flag().optional(),
  notifyReminder: flag().optional(),
  notifyStarted: flag().optional(),
  notifyCompleted: flag().optional(),
};

export const CreateMaintenanceSchema = z.object({
  /** Required unless a template proposes one. */
  name: nameField('maintenance', 255).optional(),
  /** The announcement (Markdown); required unless a template gives it. */
  body: textField('Write the announcement').optional(),
  ...window,
  components: componentList(),
  status: z.enum(MAINTENANCE_STATUSES, { error: `Choose one of: ${MAINTENANCE_STATUSES.join(', ')}` }).optional(),
  visibility: visibilityField().optional(),
  autoStart: flag().optional(),
  autoComplete: flag().optional(),
  ...notifyFlags,
  templateId: optionalId('template id'),
  idempotencyKey: idempotencyKeyField(),
  startedAt: trustedDate().optional(),
});
export type CreateMaintenanceInput = z.input<typeof CreateMaintenanceSchema>;

export const UpdateMaintenanceSchema = z.object({
  name: nameField('maintenance', 255).optional(),
  scheduledFor: window.scheduledFor.optional(),
  scheduledUntil: window.scheduledUntil.optional(),
  components: componentList().optional(),
  visibility: visibilityField().optional(),
  autoStart: flag().optional(),
  autoComplete: flag().optional(),
  ...notifyFlags,
  status: z.never({ error: 'The status changes with an update: post one instead' }).optional(),
});
export type UpdateMaintenanceInput = z.input<typeof UpdateMaintenanceSchema>;
