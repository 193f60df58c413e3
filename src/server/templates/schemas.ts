/** Input of the template services. */
import { z } from 'zod';
import { ANY_INCIDENT_STATUSES, INCIDENT_KINDS, TEMPLATE_AUDIENCES } from '../../domain/enums.ts';
import { nameField, textField } from '../fields.ts';

const fields = {
  name: nameField('template'),
  /** external: written for customers; internal: for staff. */
  audience: z.enum(TEMPLATE_AUDIENCES, { error: 'Choose external (customers) or internal (staff)' }),
  kind: z.enum(INCIDENT_KINDS, { error: 'Choose incident or maintenance' }).optional(),
  /** The incident title it proposes; '' proposes none. */
  title: z.string({ error: 'Must be text' }).trim().max(255, 'Keep it under 255 characters').optional(),
  /** The status it proposes; null for any. */
  status: z.enum(ANY_INCIDENT_STATUSES, { error: `Choose one of: ${ANY_INCIDENT_STATUSES.join(', ')}` }).nullish(),
  body: textField('Write the template text', 20_000),
};

export const CreateTemplateSchema = z.object(fields);
export type CreateTemplateInput = z.input<typeof CreateTemplateSchema>;

export const UpdateTemplateSchema = z.object({
  ...fields,
  name: fields.name.optional(),
  audience: fields.audience.optional(),
  body: fields.body.optional(),
});
export type UpdateTemplateInput = z.input<typeof UpdateTemplateSchema>;
