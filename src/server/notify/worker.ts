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
 *    records the outcome: sent with the provider id; 429: pending again after `retry-after`
 *    (not counted as an attempt); 5xx, 409 or no answer: pending again with exponential
 *    backoff (at least `retry-after`), failed after MAX_ATTEMPTS; other 4xx: failed with the
 *    reason. Emails refused one by one (permissive batches) fail alone.
 *
 * Outgoing webhooks ride along (webhooks/worker.ts): the outbox step also queues their
 * deliveries; a pass with `steps: 'all'` also sends one batch of them (the loop sends them in
 * a task of their own, unpaced by the email rate).
 */
import { backoffMs, FIRST_BACKOFF_MS } from '../outbox/backoff.ts';
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
import type { AnyIncidentStatus, Severity } from '../../domain/enums.ts';
import { languageOf, LANGUAGES, messages } from '../../i18n/index.ts';
import { reminderContent } from '../maintenances/reminder-email.ts';
import { renderEmail } from '../admin/preview.ts';
import { hashSecret } from '../ids.ts';
import { getSettings } from '../settings/queries.ts';
import { sendConfirmation } from '../subscribers/public-flow.ts';
import { isAddressRejection, suppressAddresses } from '../subscribers/suppression.ts';
import { loadComponentIndex } from '../status-page/queries.ts';
import { componentStatusText, defaultLanguageOf, pageChrome, timeView } from '../status-page/view.ts';
import { fanOutChunk } from './fanout.ts';
import { isSinkFull, MAX_BATCH, MailerError, SINK_FULL_RETRY_S, type MailMessage, type Mailer } from './mailer.ts';
import type { RateLimitInfo } from './pacer.ts';
import { getSigningSecret, manageTokenFor } from './tokens.ts';
import { fanOutWebhookEvents, sendWebhooks, type FanOutResult, type SendResult } from '../webhooks/worker.ts';

export const MAX_ATTEMPTS = 8;
/**
 * A claimed batch is sent at once (the loop waits for its rate slot before claiming), so a
 * minute is ample; a worker killed mid-batch delays its rows by at most that.
 */
const DEFAULT_LOCK_MS = 30_000;

export type WorkerOptions = {
  mailer: Mailer;
  /** The public base URL, for the incident and unsubscribe links. */
  siteUrl: string;
  now?: Date;
  /** At most 100 (Resend's batch limit). */
  batchSize?: number;
  /** Subscribers a fan-out pass looks at (notify/fanout.ts FANOUT_CHUNK by default). */
  fanOutChunk?: number;
  /**
   * What the pass does: the outbox (fan-out chunk, confirmation emails), one batch of
   * deliveries, or both (default). The loop runs the two apart, so that a fan-out never
   * holds up a paced send.
   */
  steps?: 'all' | 'outbox' | 'send';
  /** How long a claimed batch stays ours before another worker may take it over (default 30 s). */
  lockMs?: number;
};

export type WorkerResult = {
  /** Delivery rows the outbox fan-outs added, and the time that took (ms). */
  fannedOut: number;
  /** Outbox rows worked on (a fan-out chunk, or a row with nothing to send). */
  outboxRows: number;
  fanOutMs: number;
  /** Confirmation emails sent for subscribers staff added unconfirmed. */
  confirmations: number;
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
  skipped: number;
  /** The idempotency key the batch was sent with, if one was sent. */
  idempotencyKey: string | null;
  /** When the provider asked to slow down, how long (ms). */
  backoffMs: number | null;
  /** What the provider's answer said of its rate limit (for the pacer). */
  rateLimit: RateLimitInfo | null;
  /** Outgoing webhooks: events fanned out and deliveries queued (outbox step), sent (`all` only). */
  webhooks: FanOutResult & SendResult;
};

type Claimed = typeof emailDeliveries.$inferSelect;

/** One pass: the outbox, then one batch of deliveries. */
export async function runWorkerOnce(db: Db, options: WorkerOptions): Promise<WorkerResult> {
  const now = options.now ?? new Date();
  const batchSize = Math.max(1, Math.min(options.batchSize ?? MAX_BATCH, MAX_BATCH));
  const steps = options.steps ?? 'all';
  const fanOutStart = performance.now();
  const { added: fannedOut, handled: outboxRows } =
    steps === 'send' ? { added: 0, handled: 0 } : await processOutbox(db, now, options.fanOutChunk);
  const fanOutMs = performance.now() - fanOutStart;
  const confirmations = steps === 'send' ? 0 : await processConfirmations(db, options, now);
  const webhookEvents =
    steps === 'send' ? { events: 0, queued: 0 } : await fanOutWebhookEvents(db, { siteUrl: options.siteUrl, now });
  const result: WorkerResult = {
    fannedOut,
    outboxRows,
    fanOutMs,
    confirmations,
    claimed: 0,
    sent: 0,
    retried: 0,
    failed: 0,
    skipped: 0,
    idempotencyKey: null,
    backoffMs: null,
    rateLimit: null,
    webhooks: { ...webhookEvents, claimed: 0, sent: 0, retried: 0, failed: 0 },
  };
  if (steps === 'outbox') return result;
  const rows = await claimBatch(db, now, batchSize, options.lockMs ?? DEFAULT_LOCK_MS);
  result.claimed = rows.length;
  if (rows.length) await sendBatch(db, rows, options, now, result);
  if (steps === 'all') Object.assign(result.webhooks, await sendWebhooks(db, { now, lockMs: options.lockMs }));
  return result;
}

/**
 * Fans out pending `update.published` rows, one chunk of subscribers per pass (notify/fanout.ts):
 * a row whose fan-out is not finished keeps its cursor in its payload and stays pending, so
 * the next pass (this worker's or another's) goes on from there, while batches already queued
 * are being sent. Rows without `notify` are simply marked processed.
 */
async function processOutbox(db: Db, now: Date, chunkSize?: number): Promise<{ added: number; handled: number }> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .select({ id: outbox.id, payload: outbox.payload })
      .from(outbox)
      .where(and(eq(outbox.topic, 'update.published'), isNull(outbox.processedAt), lte(outbox.availableAt, now)))
      .orderBy(asc(outbox.id))
      .limit(100)
      .for('update', { skipLocked: true });
    let added = 0;
    let fannedOne = false;
    const done: number[] = [];
    for (const row of rows) {
      const payload = row.payload as { updateId: string; notify: boolean; after?: string | null };
      if (!payload.notify) {
        done.push(row.id);
        continue;
      }
      if (fannedOne) continue; // one chunk a pass: the batches wait for no more than that
      fannedOne = true;
      const chunk = await fanOutChunk(tx, payload.updateId, now, payload.after ?? null, chunkSize);
      added += chunk.added;
      if (chunk.next === null) done.push(row.id);
      else
        await tx
          .update(outbox)
          .set({ payload: { ...payload, after: chunk.next } })
          .where(eq(outbox.id, row.id));
    }
    if (done.length) await tx.update(outbox).set({ processedAt: now }).where(inArray(outbox.id, done));
    // Thousands of fresh rows make the planner's statistics stale until autovacuum gets to
    // them, and the claims meanwhile go slower (measured: uneven sending for ~15 s after a
    // 100 000-row fan-out). As after any bulk load, refresh them at once.
    if (added >= 5_000) await queryRows(tx, sql`analyze email_deliveries`);
    return { added, handled: done.length + (fannedOne ? 1 : 0) };
  });
}

/**
 * Sends the confirmation emails of subscribers added unconfirmed by staff (`subscriber.confirm`
 * rows), a few per pass. A row is claimed for a minute first, so a crash mid-send retries it
 * (a second link in that rare case, never a lost one); a failure backs off like deliveries.
 */
async function processConfirmations(db: Db, options: WorkerOptions, now: Date): Promise<number> {
  const claimed = await db.transaction(async (tx) => {
    const rows = await tx
      .select({ id: outbox.id, payload: outbox.payload, attempts: outbox.attempts })
      .from(outbox)
      .where(and(eq(outbox.topic, 'subscriber.confirm'), isNull(outbox.processedAt), lte(outbox.availableAt, now)))
      .orderBy(asc(outbox.id))
      .limit(10)
      .for('update', { skipLocked: true });
    if (rows.length) {
      await tx
        .update(outbox)
        .set({ availableAt: new Date(now.getTime() + 60_000) })
        .where(
          inArray(
            outbox.id,
            rows.map((r) => r.id),
          ),
        );
    }
    return rows;
  });
  if (!claimed.length) return 0;
  const settings = await getSettings(db);
  const siteUrl = options.siteUrl.replace(/\/+$/, '');
  let sent = 0;
  for (const row of claimed) {
    const { subscriberId } = row.payload as { subscriberId: string };
    try {
      const defaultLang = defaultLanguageOf(settings.locale);
      if (
        await sendConfirmation(db, options.mailer, subscriberId, {
          siteUrl,
          pageName: settings.pageName,
          now,
          defaultLang,
        })
      ) {
        sent++;
      }
      await db.update(outbox).set({ processedAt: now, lastError: null }).where(eq(outbox.id, row.id));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (isSinkFull(err)) {
        // The mail sink's disk is full: the email waits for room, never given up on (as in sendBatch).
        await db
          .update(outbox)
          .set({
            lastError: reason,
            availableAt: new Date(now.getTime() + (err.retryAfterSeconds ?? SINK_FULL_RETRY_S) * 1000),
          })
          .where(eq(outbox.id, row.id));
        continue;
      }
      const attempts = row.attempts + 1;
      const retryable =
        !(err instanceof MailerError) || err.statusCode === null || err.statusCode === 429 || err.statusCode >= 500;
      await db
        .update(outbox)
        .set({
          attempts,
          lastError: reason,
          availableAt: new Date(now.getTime() + backoffMs(attempts)),
          ...(retryable && attempts < MAX_ATTEMPTS ? {} : { processedAt: now }),
        })
        .where(eq(outbox.id, row.id));
    }
  }
  return sent;
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
  const chromes = new Map(LANGUAGES.map((lang) => [lang, pageChrome(settings, { lang })]));
  const defaultLang = defaultLanguageOf(settings.locale);
  const publicComponents = await loadComponentIndex(db, 'public');
  // Rendered once per message and language, whoever of that language receives it.
  const contents = new Map<string, MessageContent | null>();

  const attempted = rows.some((r) => r.attempts > 0);
  const skip: number[] = [];
  const unknown: number[] = [];
  const stale: number[] = [];
  const batch: { row: Claimed; message: MailMessage }[] = [];
  for (const row of rows.sort((a, b) => a.id - b.id)) {
    const person = people.get(row.subscriberId);
    // A batch the provider may already have accepted is resent exactly as it was (same
    // members, same key), or the provider would see a new request and mail the others twice:
    // someone who unsubscribed while it was in flight may get that one message, never two.
    if (!person || (!attempted && (person.unsubscribedAt || person.suppressedAt || !person.confirmedAt))) {
      skip.push(row.id);
      continue;
    }
    // The language they subscribed in; the page's default for those added by an admin or the API.
    const lang = languageOf(person.locale) ?? defaultLang;
    const chrome = chromes.get(lang)!;
    const contentKey = `${row.messageKey}\u0000${lang}`;
    if (!contents.has(contentKey)) {
      contents.set(contentKey, await messageContent(db, row, publicComponents, chrome, now));
    }
    const content = contents.get(contentKey);
    if (!content) {
      (row.messageKey.startsWith('reminder:') ? stale : unknown).push(row.id);
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
    const manageUrl = `${siteUrl}/subscribe/manage?token=${encodeURIComponent(token)}`;
    const email = renderEmail({
      pageName: chrome.pageName,
      incidentName: content.incident.name,
      severity: content.incident.severity,
      status: content.status,
      body: content.body,
      time: content.time,
      affected: content.affected,
      incidentUrl: `${siteUrl}/incidents/${encodeURIComponent(content.incident.id)}`,
      unsubscribeUrl,
      manageUrl,
      lang,
    });
    batch.push({
      row,
      message: {
        // The sender set in the admin's settings wins over EMAIL_FROM.
        ...(settings.emailFrom ? { from: settings.emailFrom } : {}),
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
  if (stale.length) {
    await db
      .update(d)
      .set({
        status: 'skipped',
        lockedUntil: null,
        lastError: 'Not sent: the maintenance started, moved or was cancelled before its reminder went out',
        updatedAt: now,
      })
      .where(and(inArray(d.id, stale), eq(d.status, 'sending')));
    result.skipped += stale.length;
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
    result.rateLimit = sent.rateLimit;
    const at = now.toISOString();
    const accepted = batch.flatMap((b, i) => (sent.ids[i] ? [sql`(${b.row.id}::int, ${sent.ids[i]}::text)`] : []));
    if (accepted.length) {
      await queryRows(
        db,
        sql`update email_deliveries as d
          set status = 'sent', provider_id = v.pid, sent_at = ${at}::timestamptz, locked_until = null,
            last_error = null, attempts = d.attempts + 1, updated_at = ${at}::timestamptz
          from (values ${sql.join(accepted, sql`, `)}) as v(id, pid)
          where d.id = v.id and d.status = 'sending'`,
      );
    }
    result.sent += accepted.length;
    // Refused one by one: failed with the provider's reason, never retried; an address the
    // provider calls invalid is suppressed, so no later update is sent to it either.
    const invalid = sent.errors.filter((e) => isAddressRejection(e.message));
    for (const { index, message } of invalid) {
      await suppressAddresses(db, [batch[index].message.to], `Refused by the provider: ${message}`, now);
    }
    for (const { index, message } of sent.errors) {
      await db
        .update(d)
        .set({
          status: 'failed',
          attempts: sql`${d.attempts} + 1`,
          lockedUntil: null,
          lastError: `The provider refused this email: ${message}`,
          updatedAt: now,
        })
        .where(and(eq(d.id, batch[index].row.id), eq(d.status, 'sending')));
      result.failed += 1;
    }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const status = err instanceof MailerError ? err.statusCode : null;
    if (err instanceof MailerError && err.code === 'invalid_idempotent_request') {
      // The provider already took a request with this key, for these members (the key names
      // them): an earlier attempt whose answer was lost went out. Rendering differs now (the
      // update was edited since), so it will not replay the answer; the emails were sent.
      await db
        .update(d)
        .set({
          status: 'sent',
          sentAt: now,
          attempts: sql`${d.attempts} + 1`,
          lockedUntil: null,
          lastError: 'Sent by an earlier attempt (the provider already had this batch; its answer was lost)',
          updatedAt: now,
        })
        .where(and(inArray(d.id, ids), eq(d.status, 'sending')));
      result.sent += batch.length;
      return;
    }
    if (err instanceof MailerError) result.rateLimit = err.rateLimit;
    const retryAfterMs =
      err instanceof MailerError && err.retryAfterSeconds !== null ? err.retryAfterSeconds * 1000 : 0;
    if (status === 429 || isSinkFull(err)) {
      // "Slow down" is no failure: the provider took nothing, so the batch waits exactly as
      // long as it asked (2 s if it did not say), and the attempt is not counted (a daily quota
      // running out leaves the emails pending, visible in the admin, rather than failed).
      // The mail sink's disk being full is the same: nothing was written, and the emails wait
      // with the reason shown until there is room, never given up on.
      await retryLater(retryAfterMs || FIRST_BACKOFF_MS, false, reason);
      return;
    }
    const retryable = status === null || status === 409 || status >= 500;
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
    await retryLater(Math.max(retryAfterMs, backoffMs(attempts)), true, reason);
  }

  /** The batch goes back to pending for `backoffMs`; `counted`: the attempt counts. */
  async function retryLater(backoffMs: number, counted: boolean, reason: string) {
    await db
      .update(d)
      .set({
        status: 'pending',
        ...(counted ? { attempts: sql`${d.attempts} + 1` } : {}),
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

/** What one message says, whoever receives it. */
type MessageContent = {
  incident: { id: string; name: string; severity: Severity | null };
  status: AnyIncidentStatus | { label: string };
  body: string;
  time: string;
  affected: string[];
};

/** The content of a delivery's message: an update (`update:{id}`) or a maintenance reminder. */
async function messageContent(
  db: Db,
  row: Claimed,
  publicComponents: Awaited<ReturnType<typeof loadComponentIndex>>,
  chrome: ReturnType<typeof pageChrome>,
  now: Date,
): Promise<MessageContent | null> {
  if (row.messageKey.startsWith('reminder:') && row.incidentId) {
    const reminder = await reminderContent(db, row.incidentId, { messageKey: row.messageKey, now, lang: chrome.lang });
    return reminder && { ...reminder, status: { label: reminder.subjectStatus } };
  }
  if (!row.updateId) return null;
  const content = await updateContent(db, row.updateId, publicComponents);
  return (
    content && {
      incident: content.incident,
      status: content.update.status,
      body: content.update.body,
      time: timeView(content.update.displayAt, chrome).text,
      affected: content.affected.map((a) =>
        messages(chrome.lang)('incident.componentStatus', {
          name: a.name,
          status: componentStatusText(a.status, chrome.lang),
        }),
      ),
    }
  );
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
    .map((c) => ({ name: c.name, status: changes.find((x) => x.componentId === c.id)!.newStatus }));
  return { update: row.update, incident: row.incident, affected };
}
