import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { ts } from './_columns.ts';

/**
 * Fixed-window counters for abuse limits (login per account and per IP, sign-ups, API
 * calls). In the database, so every instance sees the same counts.
 */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  count: integer('count').notNull().default(0),
  windowStart: ts('window_start').notNull().defaultNow(),
});
