/**
 * The start-up pass over the secrets stored in the database (src/server/secrets.ts):
 * encrypts those still in plaintext (written by a release before encryption at rest), and
 * checks that the sealed ones open with this server's key, so a wrong key is reported at
 * start, by name, rather than at the first webhook or email. Idempotent: a sealed value
 * (its `v1:` prefix) is left alone.
 */
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { settings, webhooks } from '../db/schema/index.ts';
import { log } from './log.ts';
import { SIGNING_SECRET_CONTEXT } from './notify/tokens.ts';
import { isSealed, openSecret, sealSecret, secretKey, SecretUnreadableError } from './secrets.ts';
import { webhookSecretContext } from './webhooks/service.ts';

export type SealResult = {
  /** Plaintext values encrypted by this pass. */
  sealed: number;
  /** Where a sealed value does not open with this key (`webhook:<id>`, `settings:signing_secret`). */
  unreadable: string[];
};

/** Encrypts the plaintext secrets and checks the sealed ones (see the top of the file). */
export async function sealStoredSecrets(db: Db): Promise<SealResult> {
  const key = secretKey();
  const result: SealResult = { sealed: 0, unreadable: [] };
  const check = (stored: string, context: string) => {
    try {
      openSecret(stored, key, context);
    } catch (err) {
      if (!(err instanceof SecretUnreadableError)) throw err;
      result.unreadable.push(context);
    }
  };
  await db.transaction(async (tx) => {
    const hooks = await tx.select({ id: webhooks.id, secret: webhooks.secret }).from(webhooks).for('update');
    for (const hook of hooks) {
      const context = webhookSecretContext(hook.id);
      if (isSealed(hook.secret)) {
        check(hook.secret, context);
        continue;
      }
      await tx
        .update(webhooks)
        .set({ secret: sealSecret(hook.secret, key, context) })
        .where(eq(webhooks.id, hook.id));
      result.sealed++;
    }
    const [row] = await tx
      .select({ secret: settings.signingSecret })
      .from(settings)
      .where(eq(settings.id, 1))
      .for('update');
    if (row?.secret && isSealed(row.secret)) check(row.secret, SIGNING_SECRET_CONTEXT);
    else if (row?.secret) {
      await tx
        .update(settings)
        .set({ signingSecret: sealSecret(row.secret, key, SIGNING_SECRET_CONTEXT) })
        .where(sql`${settings.id} = 1 and ${settings.signingSecret} = ${row.secret}`);
      result.sealed++;
    }
  });
  if (result.sealed) log.info('encrypted the secrets stored in plaintext', { count: result.sealed });
  if (result.unreadable.length) {
    log.error(
      "stored secrets cannot be decrypted with this server's key: VIGIE_SECRET_KEY (or the key file) is not the one they were encrypted with. Webhooks affected fail their signed deliveries and show it in the admin; restore the key, or replace their secrets.",
      { unreadable: result.unreadable },
    );
  }
  return result;
}
