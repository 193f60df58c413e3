/**
 * The monitoring tools' webhook payloads, as far as Vigie reads them. Unknown fields pass
 * (the tools add some with each version); the ones read must have the right type, or the
 * delivery is refused with 422, since sending it again can never succeed.
 */
import { z } from 'zod';

const MAX_ALERTS = 1_000;

/** A label or annotation map: text → text. */
export const labelMap = () =>
  z.record(z.string(), z.string({ error: 'Each value must be text' }), {
    error: 'Send an object of name → text',
  });

const alertStatus = () => z.enum(['firing', 'resolved'], { error: 'Must be firing or resolved' });
const timeText = () => z.string({ error: 'Must be an RFC 3339 time, as text' }).max(100, 'Too long for a time');

/** One alert of an Alertmanager (v4) or Grafana unified alerting payload. */
export const AlertmanagerAlertSchema = z.object({
  /** Missing in older Alertmanager versions: derived from `endsAt`. */
  status: alertStatus().optional(),
  labels: labelMap(),
  annotations: labelMap().nullish(),
  startsAt: timeText().nullish(),
  endsAt: timeText().nullish(),
  /** Missing in older Alertmanager versions: a hash of the sorted labels. */
  fingerprint: z
    .string({ error: 'Must be text' })
    .trim()
    .min(1, 'Must not be empty')
    .max(200, 'Keep it under 200 characters')
    .optional(),
});

/** Alertmanager's webhook (version 4), which Grafana's unified alerting also sends. */
export const AlertmanagerPayloadSchema = z.object({
  version: z.string({ error: 'Must be text' }).optional(),
  groupKey: z.string({ error: 'Must be text' }).min(1, 'Must not be empty').max(10_000, 'Too long').optional(),
  status: alertStatus().optional(),
  receiver: z.string({ error: 'Must be text' }).optional(),
  groupLabels: labelMap().nullish(),
  commonLabels: labelMap().nullish(),
  commonAnnotations: labelMap().nullish(),
  alerts: z
    .array(AlertmanagerAlertSchema, { error: 'Send the alerts as a list' })
    .min(1, 'The payload has no alerts')
    .max(MAX_ALERTS, `At most ${MAX_ALERTS} alerts per delivery`),
});
export type AlertmanagerPayload = z.output<typeof AlertmanagerPayloadSchema>;

/** Grafana's legacy alerting webhook (before unified alerting): one rule, one state. */
export const LegacyGrafanaPayloadSchema = z
  .object({
    ruleId: z.number({ error: 'Must be a number' }).int('Must be a whole number').optional(),
    ruleName: z.string({ error: 'Must be text' }).max(1_000, 'Too long').optional(),
    ruleUrl: z.string({ error: 'Must be text' }).optional(),
    state: z.enum(['alerting', 'no_data', 'ok'], { error: 'Must be alerting, no_data or ok' }),
    title: z.string({ error: 'Must be text' }).max(1_000, 'Too long').optional(),
    message: z.string({ error: 'Must be text' }).max(10_000, 'Too long').optional(),
    tags: labelMap().nullish(),
    evalMatches: z
      .array(
        z.object({
          metric: z.string({ error: 'Must be text' }).optional(),
          value: z.number({ error: 'Must be a number' }).nullish(),
          tags: labelMap().nullish(),
        }),
        { error: 'Send the matches as a list' },
      )
      .max(MAX_ALERTS, 'Too many matches')
      .nullish(),
  })
  .refine((p) => p.ruleId !== undefined || (p.ruleName !== undefined && p.ruleName !== ''), {
    error: 'A legacy Grafana alert needs a ruleId or a ruleName',
    path: ['ruleName'],
  });
export type LegacyGrafanaPayload = z.output<typeof LegacyGrafanaPayloadSchema>;
