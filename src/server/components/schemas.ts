/** Input of the component and group services (camelCase; errors name the API's snake_case fields). */
import { z } from 'zod';
import { COMPONENT_STATUSES, VISIBILITIES } from '../../domain/enums.ts';
import { flag, intField, nameField, optionalId, optionalText, trustedDate } from '../fields.ts';

export const visibilityField = () => z.enum(VISIBILITIES, { error: 'Choose public or internal' });
export const componentStatusField = () =>
  z.enum(COMPONENT_STATUSES, { error: `Choose one of: ${COMPONENT_STATUSES.join(', ')}` });
const position = () => intField(0, 1_000_000);
const startDate = () =>
  z
    .string({ error: 'Must be a date like 2026-01-31' })
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'Must be a date like 2026-01-31')
    .nullish()
    .transform((v) => (v === undefined ? undefined : v || null));

const groupFields = {
  name: nameField('group'),
  description: optionalText(2_000),
  position: position().optional(),
  visibility: visibilityField().optional(),
  collapsed: flag().optional(),
};

export const CreateGroupSchema = z.object(groupFields);
export type CreateGroupInput = z.input<typeof CreateGroupSchema>;

export const UpdateGroupSchema = z.object({ ...groupFields, name: nameField('group').optional() });
export type UpdateGroupInput = z.input<typeof UpdateGroupSchema>;

const componentFields = {
  name: nameField('component'),
  description: optionalText(2_000),
  groupId: optionalId('group id'),
  position: position().optional(),
  visibility: visibilityField().optional(),
  status: componentStatusField().optional(),
  /** Statuspage's `showcase`: whether the uptime bars are shown. */
  showcase: flag().optional(),
  onlyShowIfDegraded: flag().optional(),
  startDate: startDate(),
};

export const CreateComponentSchema = z.object({
  ...componentFields,
  /** When it was created; the demo seed back-dates components to fill 90 days of history. */
  createdAt: trustedDate().optional(),
});
export type CreateComponentInput = z.input<typeof CreateComponentSchema>;

export const UpdateComponentSchema = z.object({ ...componentFields, name: nameField('component').optional() });
export type UpdateComponentInput = z.input<typeof UpdateComponentSchema>;
