import { sql } from 'drizzle-orm';
import { check, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { ts } from './_columns.ts';

/**
 * The written severity scale, as admins edit it. `examples` and `response` (what is expected
 * of people: page now, or business hours) are optional in stored rows from before they existed.
 */
export type SeverityDefinitions = Record<
  '1' | '2' | '3',
  { label: string; description: string; examples?: string[]; response?: string }
>;

/** Page-wide settings: a single row with id 1. */
export const settings = pgTable(
  'settings',
  {
    id: integer('id').primaryKey().default(1),
    /** Statuspage's page id. */
    pageId: text('page_id').notNull(),
    pageName: text('page_name').notNull().default('Vigie'),
    /** Optional link to the company's own site, shown in the header. */
    homeUrl: text('home_url'),
    /** Branding: an http(s) or root-relative URL of the logo shown in the header instead of the name. */
    logoUrl: text('logo_url'),
    /** Branding: the accent colour of links and buttons, `#rrggbb`; null keeps Vigie's own. */
    accentColor: text('accent_color'),
    timeZone: text('time_zone').notNull().default('UTC'),
    locale: text('locale').notNull().default('en'),
    emailFrom: text('email_from'),
    /** Overrides of the written definitions; null means the defaults in src/domain/severity.ts. */
    severityDefinitions: jsonb('severity_definitions').$type<SeverityDefinitions>(),
    /** 32 random bytes, base64url: the HMAC key of the manage (unsubscribe) tokens. Set on first use. */
    signingSecret: text('signing_secret'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [check('settings_singleton_check', sql`${t.id} = 1`)],
);
