import { sql, type SQL } from 'drizzle-orm';
import { text, timestamp, type AnyPgColumn } from 'drizzle-orm/pg-core';

/** Statuspage-style public ids: 12 random lowercase letters and digits, set by the service. */
export const idColumn = () => text('id').primaryKey();

/** A timestamptz that drizzle maps to a JS Date. */
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const createdAt = () => ts('created_at').notNull().defaultNow();
export const updatedAt = () => ts('updated_at').notNull().defaultNow();

/** `column IN ('a', 'b')`, for CHECK constraints built from the `as const` lists in src/domain/enums.ts. */
export function oneOf(column: AnyPgColumn, values: readonly (string | number)[]): SQL {
  const list = values.map((v) => (typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`)).join(', ');
  return sql`${column} in (${sql.raw(list)})`;
}
