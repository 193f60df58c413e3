/**
 * Manage (unsubscribe) tokens derived from the subscriber id: HMAC-SHA256(secret, id),
 * base64url. The secret is 32 random bytes generated once and kept in settings, encrypted
 * (src/server/secrets.ts: the HMAC key must be used in clear, so it cannot be hashed). Confirming
 * a subscription stores SHA-256 of the derived token as `manage_token_hash`, so the
 * `/unsubscribe?token=` lookup stays a hash match while the worker can recompute every
 * subscriber's link without ever storing a token.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { settings } from '../../db/schema/index.ts';
import { getSettings } from '../settings/queries.ts';
import { openSecret, sealSecret, secretKey } from '../secrets.ts';

/** What the signing secret is bound to in its envelope. */
export const SIGNING_SECRET_CONTEXT = 'settings:signing_secret';

/**
 * The page's signing secret, generated and stored on first use (concurrent first uses agree).
 * Throws SecretUnreadableError when this server's key cannot decrypt it.
 */
export async function getSigningSecret(db: Db): Promise<string> {
  await getSettings(db); // creates the settings row on a fresh database
  const [current] = await db.select({ secret: settings.signingSecret }).from(settings).where(eq(settings.id, 1));
  const key = secretKey();
  if (current?.secret) return openSecret(current.secret, key, SIGNING_SECRET_CONTEXT);
  const sealed = sealSecret(randomBytes(32).toString('base64url'), key, SIGNING_SECRET_CONTEXT);
  const [row] = await db
    .update(settings)
    .set({ signingSecret: sql`coalesce(${settings.signingSecret}, ${sealed})` })
    .where(eq(settings.id, 1))
    .returning({ secret: settings.signingSecret });
  return openSecret(row.secret!, key, SIGNING_SECRET_CONTEXT);
}

/** The manage token of a subscriber: 43 base64url characters. */
export function manageTokenFor(secret: string, subscriberId: string): string {
  return createHmac('sha256', Buffer.from(secret, 'base64url')).update(subscriberId).digest('base64url');
}
