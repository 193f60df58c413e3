import { boolean, index, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, ts, updatedAt } from './_columns.ts';
import { components } from './components.ts';

/**
 * Email subscribers. Tokens are random and only their SHA-256 is stored. A subscriber with
 * `allComponents` gets every public update; otherwise only those touching a chosen component.
 */
export const subscribers = pgTable(
  'subscribers',
  {
    id: idColumn(),
    /** Normalised: trimmed, domain lowercased. */
    email: text('email').notNull(),
    allComponents: boolean('all_components').notNull().default(true),
    locale: text('locale'),
    confirmedAt: ts('confirmed_at'),
    confirmTokenHash: text('confirm_token_hash'),
    confirmExpiresAt: ts('confirm_expires_at'),
    confirmSentAt: ts('confirm_sent_at'),
    /** For the manage / one-click unsubscribe links in every email; it does not expire. */
    manageTokenHash: text('manage_token_hash').notNull(),
    unsubscribedAt: ts('unsubscribed_at'),
    /** Set when the provider reports a bounce or complaint: never mailed again. */
    suppressedAt: ts('suppressed_at'),
    suppressionReason: text('suppression_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('subscribers_email_idx').on(t.email),
    uniqueIndex('subscribers_manage_token_idx').on(t.manageTokenHash),
    index('subscribers_confirm_token_idx').on(t.confirmTokenHash),
  ],
);

export const subscriberComponents = pgTable(
  'subscriber_components',
  {
    subscriberId: text('subscriber_id')
      .notNull()
      .references(() => subscribers.id, { onDelete: 'cascade' }),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.subscriberId, t.componentId] }),
    index('subscriber_components_component_idx').on(t.componentId),
  ],
);
