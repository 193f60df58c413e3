import { sql } from 'drizzle-orm';
import { check, pgTable, text } from 'drizzle-orm/pg-core';
import {
  ANY_INCIDENT_STATUSES,
  INCIDENT_KINDS,
  TEMPLATE_AUDIENCES,
  type AnyIncidentStatus,
  type IncidentKind,
  type TemplateAudience,
} from '../../domain/enums.ts';
import { createdAt, idColumn, oneOf, updatedAt } from './_columns.ts';

/** Update templates with `{{placeholders}}` (see src/domain/templates.ts). */
export const templates = pgTable(
  'templates',
  {
    id: idColumn(),
    name: text('name').notNull(),
    /** external: written for customers; internal: for staff only. */
    audience: text('audience').$type<TemplateAudience>().notNull(),
    kind: text('kind').$type<IncidentKind>().notNull().default('incident'),
    /** The incident title it proposes. */
    title: text('title').notNull().default(''),
    status: text('status').$type<AnyIncidentStatus>(),
    body: text('body').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('templates_audience_check', oneOf(t.audience, TEMPLATE_AUDIENCES)),
    check('templates_kind_check', oneOf(t.kind, INCIDENT_KINDS)),
    check('templates_status_check', sql`${t.status} is null or ${oneOf(t.status, ANY_INCIDENT_STATUSES)}`),
  ],
);
