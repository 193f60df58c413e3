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
import { authorize, changes, parseInput, type Caller } from '../services.ts';
import { getSettings } from '../settings/queries.ts';
import { renderBody } from './payload.ts';
import {
  CreateWebhookSchema,
  UpdateWebhookSchema,
  type CreateWebhookInput,
  type UpdateWebhookInput,
} from './schemas.ts';

export type Webhook = typeof webhooks.$inferSelect;

/** What the audit log keeps of a webhook: everything but the secret. */
function auditView(w: Partial<Webhook>): Record<string, unknown> {
  const { secret: _, createdAt: _c, updatedAt: _u, ...rest } = w;
  return rest;
}

export async function createWebhook(db: Db, caller: Caller, input: CreateWebhookInput): Promise<Webhook> {
  authorize(caller, 'webhooks:manage');
  const data = parseInput(CreateWebhookSchema, input);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(webhooks)
      .values({ id: newId(), ...data, secret: newSecret() })
      .returning();
    await recordAudit(tx, caller, 'webhook.create', { type: 'webhook', id: row.id }, auditView(row));
    return row;
  });
}

async function lockWebhook(tx: Db, id: string): Promise<Webhook> {
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
    if (!Object.keys(diff.after).length) return before;
    const [row] = await tx
      .update(webhooks)
      .set({ ...data, updatedAt: new Date() })
      .where(eq(webhooks.id, id))
      .returning();
    await recordAudit(tx, caller, 'webhook.update', { type: 'webhook', id }, diff);
    return row;
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
export async function rotateWebhookSecret(db: Db, caller: Caller, id: string): Promise<Webhook> {
  authorize(caller, 'webhooks:manage');
  return db.transaction(async (tx) => {
    await lockWebhook(tx, id);
    const [row] = await tx
      .update(webhooks)
      .set({ secret: newSecret(), updatedAt: new Date() })
      .where(eq(webhooks.id, id))
      .returning();
    await recordAudit(tx, caller, 'webhook.rotate_secret', { type: 'webhook', id }, { secret: 'rotated' });
    return row;
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
