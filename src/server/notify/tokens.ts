/**
 * Manage (unsubscribe) tokens derived from the subscriber id: HMAC-SHA256(secret, id),
 * base64url. The secret is 32 random bytes generated once and kept in settings. Confirming
 * a subscription stores SHA-256 of the derived token as `manage_token_hash`, so the
 * `/unsubscribe?token=` lookup stays a hash match while the worker can recompute every
 * subscriber's link without ever storing a token.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { settings } from '../../db/schema/index.ts';
import { getSettings } from '../settings/queries.ts';

/** The page's signing secret, generated and stored on first use (concurrent first uses agree). */
export async function getSigningSecret(db: Db): Promise<string> {
  await getSettings(db); // creates the settings row on a fresh database
  const [current] = await db.select({ secret: settings.signingSecret }).from(settings).where(eq(settings.id, 1));
  if (current?.secret) return current.secret;
  const [row] = await db
    .update(settings)
    .set({ signingSecret: sql`coalesce(${settings.signingSecret}, ${randomBytes(32).toString('base64url')})` })
    .where(eq(settings.id, 1))
    .returning({ secret: settings.signingSecret });
  return row.secret!;
}

/** The manage token of a subscriber: 43 base64url characters. */
export function manageTokenFor(secret: string, subscriberId: string): string {
  return createHmac('sha256', Buffer.from(secret, 'base64url')).update(subscriberId).digest('base64url');
}
