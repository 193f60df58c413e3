/** Input of the webhook services (camelCase; errors name the API's snake_case fields). */
import { z } from 'zod';
import { WEBHOOK_EVENTS, WEBHOOK_FORMATS } from '../../db/schema/index.ts';
import { flag, isHttpUrl, nameField } from '../fields.ts';

export const webhookUrlField = () =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'Give the address to send to' : 'Must be text') })
    .trim()
    .min(1, 'Give the address to send to')
    .max(2_000, 'Keep it under 2000 characters')
    .refine(isHttpUrl, 'Enter an http:// or https:// address')
    .refine((v) => !/^[a-z]+:\/\/[^/]*@/i.test(v), 'Leave user names and passwords out of the address');

export const webhookFormatField = () => z.enum(WEBHOOK_FORMATS, { error: 'Choose Slack-compatible or signed JSON' });

export const webhookEventsField = () =>
  z
    .array(z.enum(WEBHOOK_EVENTS, { error: `Choose among: ${WEBHOOK_EVENTS.join(', ')}` }), {
      error: 'Send the events as a list',
    })
    .min(1, 'Choose at least one event')
    .transform((events) => WEBHOOK_EVENTS.filter((e) => events.includes(e)));

export const CreateWebhookSchema = z.object({
  name: nameField('webhook'),
  url: webhookUrlField(),
  format: webhookFormatField(),
  events: webhookEventsField(),
  internal: flag().default(false),
  enabled: flag().default(true),
});
export type CreateWebhookInput = z.input<typeof CreateWebhookSchema>;

export const UpdateWebhookSchema = z.object({
  name: nameField('webhook').optional(),
  url: webhookUrlField().optional(),
  format: webhookFormatField().optional(),
  events: webhookEventsField().optional(),
  internal: flag().optional(),
  enabled: flag().optional(),
});
export type UpdateWebhookInput = z.input<typeof UpdateWebhookSchema>;
