import { check, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { ROLES, type Role } from '../../domain/enums.ts';
import { createdAt, idColumn, oneOf, ts, updatedAt } from './_columns.ts';

export const users = pgTable(
  'users',
  {
    id: idColumn(),
    /** Stored lowercased: the unique index is on it as is. */
    email: text('email').notNull(),
    name: text('name').notNull().default(''),
    role: text('role').$type<Role>().notNull(),
    /** argon2id PHC string. */
    passwordHash: text('password_hash').notNull(),
    locale: text('locale'),
    failedLogins: integer('failed_logins').notNull().default(0),
    lockedUntil: ts('locked_until'),
    lastLoginAt: ts('last_login_at'),
    disabledAt: ts('disabled_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('users_email_idx').on(t.email), check('users_role_check', oneOf(t.role, ROLES))],
);

/** Browser sessions. The cookie holds a random token; only its SHA-256 is stored here. */
export const sessions = pgTable(
  'sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Per-session CSRF secret, put in every form. */
    csrfToken: text('csrf_token').notNull(),
    createdAt: createdAt(),
    lastSeenAt: ts('last_seen_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)],
);

/** Management API tokens. Only the SHA-256 of the token is stored; `prefix` helps a person recognise it. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: idColumn(),
    name: text('name').notNull(),
    role: text('role').$type<Role>().notNull(),
    tokenHash: text('token_hash').notNull(),
    prefix: text('prefix').notNull(),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    lastUsedAt: ts('last_used_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash_idx').on(t.tokenHash), check('api_tokens_role_check', oneOf(t.role, ROLES))],
);
