import { check, index, jsonb, pgTable, primaryKey, serial, text } from 'drizzle-orm/pg-core';
import { COMPONENT_STATUSES, type ComponentStatus } from '../../domain/enums.ts';
import { createdAt, oneOf, ts, updatedAt } from './_columns.ts';
import { components } from './components.ts';
import { incidents } from './incidents.ts';

/** Maps a monitoring alert label (e.g. service=api) to a component and the status to set while firing. */
export const alertMappings = pgTable(
  'alert_mappings',
  {
    id: serial('id').primaryKey(),
    labelName: text('label_name').notNull(),
    labelValue: text('label_value').notNull(),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
    status: text('status').$type<ComponentStatus>().notNull().default('major_outage'),
    createdAt: createdAt(),
  },
  (t) => [
    check('alert_mappings_status_check', oneOf(t.status, COMPONENT_STATUSES)),
    index('alert_mappings_label_idx').on(t.labelName, t.labelValue),
  ],
);

/** The alerts recorded on an incident, one row per fingerprint. */
export const incidentAlerts = pgTable(
  'incident_alerts',
  {
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    fingerprint: text('fingerprint').notNull(),
    source: text('source').notNull(),
    status: text('status').notNull(),
    name: text('name'),
    labels: jsonb('labels').$type<Record<string, string>>().notNull(),
    annotations: jsonb('annotations').$type<Record<string, string>>(),
    startsAt: ts('starts_at'),
    endsAt: ts('ends_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.fingerprint] })],
);
