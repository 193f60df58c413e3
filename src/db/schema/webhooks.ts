import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, serial, text, uniqueIndex } from 'drizzle-orm/pg-core';
import type { IncidentEvent } from '../../server/outbox/service.ts';
import { createdAt, idColumn, oneOf, ts, updatedAt } from './_columns.ts';

/** The body formats: Slack's incoming-webhook JSON, or Vigie's own JSON signed with HMAC-SHA256. */
export const WEBHOOK_FORMATS = ['slack', 'signed'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** The events a webhook may want: the outbox's INCIDENT_EVENTS (a test checks they match). */
export const WEBHOOK_EVENTS = [
  'incident.created',
  'incident.severity_changed',
  'incident.update_posted',
  'incident.resolved',
] as const satisfies readonly IncidentEvent[];

/** What a delivery carries: one of the events, or the admin's "send test". */
export const WEBHOOK_DELIVERY_EVENTS = [...WEBHOOK_EVENTS, 'webhook.test'] as const;
export type WebhookDeliveryEvent = (typeof WEBHOOK_DELIVERY_EVENTS)[number];

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/**
 * Outgoing webhooks, registered by admins. `secret` (32 random bytes, base64url, made by
 * Vigie) is the HMAC key of the `signed` format. It is stored as it is, not hashed: signing
 * needs the key itself, and admins see it so the receiver can verify.
 */
export const webhooks = pgTable(
  'webhooks',
  {
    id: idColumn(),
    name: text('name').notNull(),
    url: text('url').notNull(),
    format: text('format').$type<WebhookFormat>().notNull(),
    events: text('events').array().$type<IncidentEvent[]>().notNull(),
    /** Internal webhooks also get internal incidents, internal updates, severities, roles and links. */
    internal: boolean('internal').notNull().default(false),
    secret: text('secret').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('webhooks_format_check', oneOf(t.format, WEBHOOK_FORMATS)),
    check(
      'webhooks_events_check',
      sql`cardinality(${t.events}) > 0 and ${t.events} <@ array[${sql.raw(WEBHOOK_EVENTS.map((e) => `'${e}'`).join(', '))}]::text[]`,
    ),
  ],
);

/**
 * One event for one webhook. `payload` is the exact body, rendered once at fan-out, so a
 * retry sends the same bytes (only the signature's timestamp is fresh). The unique index on
 * (webhook_id, event_key) is what keeps a fan-out run twice from sending twice.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: serial('id').primaryKey(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    /** `evt_{outbox id}` for an incident event (the same for every webhook), `test_{random}` for a test. */
    eventKey: text('event_key').notNull(),
    event: text('event').$type<WebhookDeliveryEvent>().notNull(),
    /** No foreign key: incidents are never deleted, and the delivery stays readable anyway. */
    incidentId: text('incident_id'),
    payload: text('payload').notNull(),
    status: text('status').$type<WebhookDeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    availableAt: ts('available_at').notNull().defaultNow(),
    lockedUntil: ts('locked_until'),
    lastError: text('last_error'),
    /** The HTTP status of the last answer, if there was one. */
    responseStatus: integer('response_status'),
    sentAt: ts('sent_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_idx').on(t.webhookId, t.eventKey),
    index('webhook_deliveries_due_idx')
      .on(t.availableAt, t.id)
      .where(sql`${t.status} in ('pending', 'sending')`),
    index('webhook_deliveries_recent_idx').on(t.webhookId, t.createdAt),
    check('webhook_deliveries_status_check', oneOf(t.status, WEBHOOK_DELIVERY_STATUSES)),
    check('webhook_deliveries_event_check', oneOf(t.event, WEBHOOK_DELIVERY_EVENTS)),
  ],
);
