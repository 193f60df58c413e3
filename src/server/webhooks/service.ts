/**
 * Outgoing webhooks: register, edit, delete, rotate the secret, send a test. Admin only
 * ('webhooks:manage'). Every verb is one transaction with its audit entry, which never holds
 * the secret.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { webhookDeliveries, webhooks } from '../../db/schema/index.ts';
import { recordAudit } from '../audit/service.ts';
import { NotFoundError } from '../errors.ts';
import { newId, newSecret } from '../ids.ts';
import { log } from '../log.ts';
import { openSecret, sealSecret, secretKey, SecretUnreadableError } from '../secrets.ts';
import { authorize, changes, parseInput, type Caller } from '../services.ts';
import { getSettings } from '../settings/queries.ts';
import { renderBody } from './payload.ts';
import {
  CreateWebhookSchema,
  UpdateWebhookSchema,
  type CreateWebhookInput,
  type UpdateWebhookInput,
} from './schemas.ts';

/** A webhook as stored: `secret` is an envelope (src/server/secrets.ts). */
export type StoredWebhook = typeof webhooks.$inferSelect;

/** A webhook with its secret in clear; null when this server's key cannot decrypt it. */
export type Webhook = Omit<StoredWebhook, 'secret'> & { secret: string | null };

/** What a webhook's secret is bound to in its envelope. */
export function webhookSecretContext(id: string): string {
  return `webhook:${id}`;
}

/** Encrypts a webhook's secret for storage. */
export function sealWebhookSecret(id: string, secret: string): string {
  return sealSecret(secret, secretKey(), webhookSecretContext(id));
}

/** Decrypts a stored webhook's secret; an unreadable one is logged and comes back null. */
export function revealWebhook(row: StoredWebhook): Webhook {
  try {
    return { ...row, secret: openSecret(row.secret, secretKey(), webhookSecretContext(row.id)) };
  } catch (err) {
    if (!(err instanceof SecretUnreadableError)) throw err;
    log.error(err.message, { webhookId: row.id });
    return { ...row, secret: null };
  }
}

/** What the audit log keeps of a webhook: everything but the secret. */
function auditView(w: Partial<StoredWebhook> | Partial<Webhook>): Record<string, unknown> {
  const { secret: _, createdAt: _c, updatedAt: _u, ...rest } = w;
  return rest;
}

/** A webhook just made or rotated: its new secret is known in clear. */
export type WebhookWithSecret = Webhook & { secret: string };

export async function createWebhook(db: Db, caller: Caller, input: CreateWebhookInput): Promise<WebhookWithSecret> {
  authorize(caller, 'webhooks:manage');
  const data = parseInput(CreateWebhookSchema, input);
  return db.transaction(async (tx) => {
    const id = newId();
    const secret = newSecret();
    const [row] = await tx
      .insert(webhooks)
      .values({ id, ...data, secret: sealWebhookSecret(id, secret) })
      .returning();
    await recordAudit(tx, caller, 'webhook.create', { type: 'webhook', id: row.id }, auditView(row));
    return { ...row, secret };
  });
}

async function lockWebhook(tx: Db, id: string): Promise<StoredWebhook> {
  const [row] = await tx.select().from(webhooks).where(eq(webhooks.id, id)).for('update');
  if (!row) throw new NotFoundError(`There is no webhook ${id}`);
  return row;
}

export async function updateWebhook(db: Db, caller: Caller, id: string, input: UpdateWebhookInput): Promise<Webhook> {
  authorize(caller, 'webhooks:manage');
  const data = parseInput(UpdateWebhookSchema, input);
  return db.transaction(async (tx) => {
    const before = await lockWebhook(tx, id);
    const diff = changes(auditView(before), auditView(data));
    if (!Object.keys(diff.after).length) return revealWebhook(before);
    const [row] = await tx
      .update(webhooks)
      .set({ ...data, updatedAt: new Date() })
      .where(eq(webhooks.id, id))
      .returning();
    await recordAudit(tx, caller, 'webhook.update', { type: 'webhook', id }, diff);
    return revealWebhook(row);
  });
}

/** Deletes the webhook and its deliveries (pending ones are never sent). */
export async function deleteWebhook(db: Db, caller: Caller, id: string): Promise<void> {
  authorize(caller, 'webhooks:manage');
  await db.transaction(async (tx) => {
    const before = await lockWebhook(tx, id);
    await tx.delete(webhooks).where(eq(webhooks.id, id));
    await recordAudit(tx, caller, 'webhook.delete', { type: 'webhook', id }, auditView(before));
  });
}

/** A new secret: the old one stops verifying at once (deliveries already queued are signed with the new one). */
export async function rotateWebhookSecret(db: Db, caller: Caller, id: string): Promise<WebhookWithSecret> {
  authorize(caller, 'webhooks:manage');
  return db.transaction(async (tx) => {
    await lockWebhook(tx, id);
    const secret = newSecret();
    const [row] = await tx
      .update(webhooks)
      .set({ secret: sealWebhookSecret(id, secret), updatedAt: new Date() })
      .where(eq(webhooks.id, id))
      .returning();
    await recordAudit(tx, caller, 'webhook.rotate_secret', { type: 'webhook', id }, { secret: 'rotated' });
    return { ...row, secret };
  });
}

/** Queues a `webhook.test` delivery, sent by the worker like any other. */
export async function sendTestWebhook(
  db: Db,
  caller: Caller,
  id: string,
  options: { siteUrl: string; now?: Date },
): Promise<void> {
  authorize(caller, 'webhooks:manage');
  const now = options.now ?? new Date();
  const settings = await getSettings(db);
  await db.transaction(async (tx) => {
    const hook = await lockWebhook(tx, id);
    const key = `test_${newId()}`;
    const payload = renderBody(hook.format, hook.internal, {
      key,
      event: 'webhook.test',
      at: now,
      siteUrl: options.siteUrl,
      pageName: settings.pageName,
      incident: null,
      update: null,
    });
    await tx
      .insert(webhookDeliveries)
      .values({ webhookId: id, eventKey: key, event: 'webhook.test', payload, availableAt: now, createdAt: now });
    await recordAudit(tx, caller, 'webhook.test', { type: 'webhook', id });
  });
}
