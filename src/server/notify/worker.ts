/**
 * The delivery worker, one pass at a time (`runWorkerOnce`); a loop or a test drives it.
 *
 * 1. Consumes pending `update.published` outbox rows: fans each out (notify/fanout.ts) and
 *    marks it processed, in one transaction.
 * 2. Claims one batch of due deliveries with `FOR UPDATE SKIP LOCKED`, so several workers and
 *    app instances never take the same row. A batch first claimed gets a `batch_key`, stored
 *    on its rows: a retried batch is claimed again by that key, and sent with the same
 *    Idempotency-Key and the same payload, so a retry after a lost answer never mails twice.
 *    Rows left `sending` by a crashed worker are claimed again once `locked_until` passes.
 * 3. Renders each email (the admin preview's renderer), sends the batch in one request and
 *    records the outcome: sent with the provider id; 429, 5xx, 409 or no answer: pending again
 *    with exponential backoff (at least `retry-after`); other 4xx: failed with the reason.
 *    After MAX_ATTEMPTS, failed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, isNotNull, isNull, lte, or, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.ts';
import {
  emailDeliveries,
  incidents,
  incidentUpdateComponents,
  incidentUpdates,
  outbox,
  subscribers,
} from '../../db/schema/index.ts';
import { componentStatusLabel } from '../../domain/status.ts';
import { renderEmail } from '../admin/preview.ts';
import { hashSecret } from '../ids.ts';
import { getSettings } from '../settings/queries.ts';
import { loadComponentIndex } from '../status-page/queries.ts';
import { pageChrome, timeView } from '../status-page/view.ts';
import { fanOut } from './fanout.ts';
import { MAX_BATCH, MailerError, type MailMessage, type Mailer } from './mailer.ts';
import { getSigningSecret, manageTokenFor } from './tokens.ts';

export const MAX_ATTEMPTS = 8;
const BASE_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 15 * 60_000;

export type WorkerOptions = {
  mailer: Mailer;
  /** The public base URL, for the incident and unsubscribe links. */
  siteUrl: string;
  now?: Date;
  /** At most 100 (Resend's batch limit). */
  batchSize?: number;
  /** How long a claimed batch stays ours before another worker may take it over. */
  lockMs?: number;
};

export type WorkerResult = {
  /** Delivery rows the outbox fan-outs added. */
  fannedOut: number;
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
  skipped: number;
  /** The idempotency key the batch was sent with, if one was sent. */
  idempotencyKey: string | null;
  /** When the provider asked to slow down, how long (ms). */
  backoffMs: number | null;
};

type Claimed = typeof emailDeliveries.$inferSelect;

/** One pass: the outbox, then one batch of deliveries. */
export async function runWorkerOnce(db: Db, options: WorkerOptions): Promise<WorkerResult> {
  const now = options.now ?? new Date();
  const batchSize = Math.max(1, Math.min(options.batchSize ?? MAX_BATCH, MAX_BATCH));
  const result: WorkerResult = {
    fannedOut: await processOutbox(db, now),
    claimed: 0,
    sent: 0,
    retried: 0,
    failed: 0,
    skipped: 0,
    idempotencyKey: null,
    backoffMs: null,
  };
  const rows = await claimBatch(db, now, batchSize, options.lockMs ?? 5 * 60_000);
  result.claimed = rows.length;
  if (rows.length) await sendBatch(db, rows, options, now, result);
  return result;
}

/** Fans out the pending `update.published` rows and marks them processed. */
async function processOutbox(db: Db, now: Date): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .select({ id: outbox.id, payload: outbox.payload })
      .from(outbox)
      .where(and(eq(outbox.topic, 'update.published'), isNull(outbox.processedAt), lte(outbox.availableAt, now)))
      .orderBy(asc(outbox.id))
      .limit(100)
      .for('update', { skipLocked: true });
    let added = 0;
    for (const row of rows) {
      const { updateId, notify } = row.payload as { updateId: string; notify: boolean };
      if (notify) added += await fanOut(tx, updateId, now);
    }
    if (rows.length) {
      await tx
        .update(outbox)
        .set({ processedAt: now })
        .where(
          inArray(
            outbox.id,
            rows.map((r) => r.id),
          ),
        );
    }
    return added;
  });
}

/** A retried batch (same key, same members) if one is due, else up to `size` fresh pending rows. */
async function claimBatch(db: Db, now: Date, size: number, lockMs: number): Promise<Claimed[]> {
  const d = emailDeliveries;
  const lockedUntil = new Date(now.getTime() + lockMs);
  const due = or(
    and(eq(d.status, 'pending'), lte(d.nextAttemptAt, now)),
    and(eq(d.status, 'sending'), lte(d.lockedUntil, now)),
  );
  return db.transaction(async (tx) => {
    const [again] = await tx
      .select({ key: d.batchKey })
      .from(d)
      .where(and(isNotNull(d.batchKey), due))
      .orderBy(asc(d.nextAttemptAt), asc(d.id))
      .limit(1)
      .for('update', { skipLocked: true });
    if (again?.key) {
      return tx
        .update(d)
        .set({ status: 'sending', lockedUntil, updatedAt: now })
        .where(and(eq(d.batchKey, again.key), due))
        .returning();
    }
    const fresh = await tx
      .select({ id: d.id })
      .from(d)
      .where(and(eq(d.status, 'pending'), isNull(d.batchKey), lte(d.nextAttemptAt, now)))
      .orderBy(asc(d.id))
      .limit(size)
      .for('update', { skipLocked: true });
    if (!fresh.length) return [];
    return tx
      .update(d)
      .set({ status: 'sending', lockedUntil, batchKey: `vigie-${randomUUID()}`, updatedAt: now })
      .where(
        and(
          inArray(
            d.id,
            fresh.map((r) => r.id),
          ),
          eq(d.status, 'pending'),
        ),
      )
      .returning();
  });
}

async function sendBatch(db: Db, rows: Claimed[], options: WorkerOptions, now: Date, result: WorkerResult) {
  const siteUrl = options.siteUrl.replace(/\/+$/, '');
  const d = emailDeliveries;
  const people = new Map(
    (
      await db
        .select()
        .from(subscribers)
        .where(
          inArray(
            subscribers.id,
            rows.map((r) => r.subscriberId),
          ),
        )
    ).map((s) => [s.id, s]),
  );
  const secret = await getSigningSecret(db);
  const settings = await getSettings(db);
  const chrome = pageChrome(settings);
  const publicComponents = await loadComponentIndex(db, 'public');
  const contents = new Map<string, Awaited<ReturnType<typeof updateContent>>>();

  const skip: number[] = [];
  const unknown: number[] = [];
  const batch: { row: Claimed; message: MailMessage }[] = [];
  for (const row of rows.sort((a, b) => a.id - b.id)) {
    const person = people.get(row.subscriberId);
    if (!person || person.unsubscribedAt || person.suppressedAt || !person.confirmedAt) {
      skip.push(row.id);
      continue;
    }
    if (!row.updateId || !contents.has(row.updateId)) {
      const content = row.updateId ? await updateContent(db, row.updateId, publicComponents) : null;
      if (row.updateId) contents.set(row.updateId, content);
    }
    const content = row.updateId ? contents.get(row.updateId) : null;
    if (!content) {
      unknown.push(row.id);
      continue;
    }
    const token = manageTokenFor(secret, person.id);
    // Subscribers added confirmed by an admin hold a placeholder nobody knows: the link is this one.
    if (person.manageTokenHash !== hashSecret(token)) {
      await db
        .update(subscribers)
        .set({ manageTokenHash: hashSecret(token) })
        .where(eq(subscribers.id, person.id));
    }
    const unsubscribeUrl = `${siteUrl}/unsubscribe?token=${encodeURIComponent(token)}`;
    const email = renderEmail({
      pageName: chrome.pageName,
      incidentName: content.incident.name,
      severity: content.incident.severity,
      status: content.update.status,
      body: content.update.body,
      time: timeView(content.update.displayAt, chrome).text,
      affected: content.affected,
      incidentUrl: `${siteUrl}/incidents/${encodeURIComponent(content.incident.id)}`,
      unsubscribeUrl,
    });
    batch.push({
      row,
      message: {
        to: person.email,
        ...email,
        headers: { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      },
    });
  }

  if (skip.length) {
    await db
      .update(d)
      .set({ status: 'skipped', lockedUntil: null, updatedAt: now })
      .where(and(inArray(d.id, skip), eq(d.status, 'sending')));
    result.skipped += skip.length;
  }
  if (unknown.length) {
    await db
      .update(d)
      .set({ status: 'failed', lockedUntil: null, lastError: 'Nothing to send: unknown message', updatedAt: now })
      .where(and(inArray(d.id, unknown), eq(d.status, 'sending')));
    result.failed += unknown.length;
  }
  if (!batch.length) return;

  // The batch's key, refined by its members: the same batch retried is the same request,
  // and a batch that lost members (unsubscribed meanwhile) is a different one.
  const members = createHash('sha256')
    .update(batch.map((b) => b.row.id).join(','))
    .digest('base64url')
    .slice(0, 16);
  const idempotencyKey = `${batch[0].row.batchKey}-${members}`;
  result.idempotencyKey = idempotencyKey;
  const ids = batch.map((b) => b.row.id);
  try {
    const sent = await options.mailer.sendBatch(
      batch.map((b) => b.message),
      { idempotencyKey },
    );
    const at = now.toISOString();
    const values = sql.join(
      batch.map((b, i) => sql`(${b.row.id}::int, ${sent.ids[i]}::text)`),
      sql`, `,
    );
    await queryRows(
      db,
      sql`update email_deliveries as d
        set status = 'sent', provider_id = v.pid, sent_at = ${at}::timestamptz, locked_until = null,
          last_error = null, attempts = d.attempts + 1, updated_at = ${at}::timestamptz
        from (values ${values}) as v(id, pid)
        where d.id = v.id and d.status = 'sending'`,
    );
    result.sent += batch.length;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const status = err instanceof MailerError ? err.statusCode : null;
    const retryable = status === null || status === 429 || status === 409 || status >= 500;
    const attempts = Math.max(...batch.map((b) => b.row.attempts)) + 1;
    if (!retryable || attempts >= MAX_ATTEMPTS) {
      await db
        .update(d)
        .set({
          status: 'failed',
          attempts: sql`${d.attempts} + 1`,
          lockedUntil: null,
          lastError: retryable ? `Gave up after ${attempts} attempts: ${reason}` : reason,
          updatedAt: now,
        })
        .where(and(inArray(d.id, ids), eq(d.status, 'sending')));
      result.failed += batch.length;
      return;
    }
    const retryAfterMs =
      err instanceof MailerError && err.retryAfterSeconds !== null ? err.retryAfterSeconds * 1000 : 0;
    const backoffMs = Math.max(retryAfterMs, Math.min(BASE_BACKOFF_MS * 2 ** (attempts - 1), MAX_BACKOFF_MS));
    await db
      .update(d)
      .set({
        status: 'pending',
        attempts: sql`${d.attempts} + 1`,
        nextAttemptAt: new Date(now.getTime() + backoffMs),
        lockedUntil: null,
        lastError: reason,
        updatedAt: now,
      })
      .where(and(inArray(d.id, ids), eq(d.status, 'sending')));
    result.retried += batch.length;
    result.backoffMs = backoffMs;
  }
}

/** The update, its incident and the public components it names, as the email shows them. */
async function updateContent(
  db: Db,
  updateId: string,
  publicComponents: Awaited<ReturnType<typeof loadComponentIndex>>,
) {
  const [row] = await db
    .select({ update: incidentUpdates, incident: incidents })
    .from(incidentUpdates)
    .innerJoin(incidents, eq(incidents.id, incidentUpdates.incidentId))
    .where(eq(incidentUpdates.id, updateId));
  // Never mail what customers may not see, whatever put the row there.
  if (!row || row.update.audience !== 'public' || row.incident.visibility !== 'public') return null;
  const changes = await db
    .select()
    .from(incidentUpdateComponents)
    .where(eq(incidentUpdateComponents.updateId, updateId));
  const affected = changes
    .filter((c) => publicComponents.has(c.componentId))
    .map((c) => publicComponents.get(c.componentId)!)
    .sort((a, b) => a.position - b.position || a.name.localeCompare(b.name))
    .map((c) => `${c.name}: ${componentStatusLabel(changes.find((x) => x.componentId === c.id)!.newStatus)}`);
  return { update: row.update, incident: row.incident, affected };
}
