/**
 * The webhook worker, the email worker's discipline (notify/worker.ts) for outgoing webhooks.
 *
 * 1. `fanOutWebhookEvents` consumes pending `incident.event` outbox rows: for each, one
 *    delivery per enabled webhook that wants the event and may see it (payload.ts
 *    `mayReceive`), its body rendered once, then the outbox row is marked processed, all in
 *    one transaction. The unique (webhook_id, event_key) index makes a second run a no-op.
 * 2. `sendWebhooks` claims due deliveries with `FOR UPDATE SKIP LOCKED` (locked 30 s, so a
 *    crashed worker's rows are taken over after that), POSTs each stored body with a 10 s
 *    timeout and records the outcome: 2xx sent; 429, 5xx or no answer: pending again with
 *    exponential backoff (at least `Retry-After`), failed after MAX_WEBHOOK_ATTEMPTS; a
 *    redirect or another 4xx: failed at once with the reason. Redirects are never followed.
 */
import { backoffMs } from '../outbox/backoff.ts';
import { and, asc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { incidents, incidentUpdates, outbox, users, webhookDeliveries, webhooks } from '../../db/schema/index.ts';
import type { IncidentEventPayload } from '../outbox/service.ts';
import { getSettings } from '../settings/queries.ts';
import { revealWebhook, type Webhook } from './service.ts';
import { mayReceive, renderBody, signatureHeaders, type EventContext } from './payload.ts';

export const MAX_WEBHOOK_ATTEMPTS = 8;
const DEFAULT_LOCK_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 10_000;
/** A Retry-After longer than this is cut to it: a receiver cannot park a delivery for days. */
const MAX_RETRY_AFTER_MS = 60 * 60_000;
const OUTBOX_BATCH = 100;

export type FanOutResult = {
  /** Outbox rows consumed. */
  events: number;
  /** Deliveries queued. */
  queued: number;
};

/** Queues the deliveries of pending `incident.event` outbox rows (see the top of the file). */
export async function fanOutWebhookEvents(db: Db, options: { siteUrl: string; now?: Date }): Promise<FanOutResult> {
  const now = options.now ?? new Date();
  return db.transaction(async (tx) => {
    const rows = await tx
      .select({ id: outbox.id, payload: outbox.payload })
      .from(outbox)
      .where(and(eq(outbox.topic, 'incident.event'), isNull(outbox.processedAt), lte(outbox.availableAt, now)))
      .orderBy(asc(outbox.id))
      .limit(OUTBOX_BATCH)
      .for('update', { skipLocked: true });
    if (!rows.length) return { events: 0, queued: 0 };
    const hooks = await tx.select().from(webhooks).where(eq(webhooks.enabled, true));
    const pageName = hooks.length ? (await getSettings(tx)).pageName : '';
    let queued = 0;
    for (const row of rows) {
      if (!hooks.length) break;
      const payload = row.payload as IncidentEventPayload;
      const wanting = hooks.filter((h) => h.events.includes(payload.event));
      if (!wanting.length) continue;
      const ctx = await eventContext(tx, `evt_${row.id}`, payload, options.siteUrl, pageName);
      if (!ctx) continue;
      const values = wanting
        .filter((h) => mayReceive(ctx, h.internal))
        .map((h) => ({
          webhookId: h.id,
          eventKey: ctx.key,
          event: payload.event,
          incidentId: payload.incidentId,
          payload: renderBody(h.format, h.internal, ctx),
          availableAt: now,
          createdAt: now,
          updatedAt: now,
        }));
      if (!values.length) continue;
      const added = await tx
        .insert(webhookDeliveries)
        .values(values)
        .onConflictDoNothing({ target: [webhookDeliveries.webhookId, webhookDeliveries.eventKey] })
        .returning({ id: webhookDeliveries.id });
      queued += added.length;
    }
    await tx
      .update(outbox)
      .set({ processedAt: now })
      .where(
        inArray(
          outbox.id,
          rows.map((r) => r.id),
        ),
      );
    return { events: rows.length, queued };
  });
}

/** The incident and update an event is about, as they are now; null when there is nothing to send. */
async function eventContext(
  tx: Db,
  key: string,
  payload: IncidentEventPayload,
  siteUrl: string,
  pageName: string,
): Promise<EventContext | null> {
  const [incident] = await tx.select().from(incidents).where(eq(incidents.id, payload.incidentId));
  if (!incident || incident.kind !== 'incident') return null;
  let update: EventContext['update'] = null;
  if (payload.updateId) {
    [update = null] = await tx.select().from(incidentUpdates).where(eq(incidentUpdates.id, payload.updateId));
    // The update an update_posted event is about is gone: nothing to say.
    if (!update && payload.event === 'incident.update_posted') return null;
  }
  const roleIds = [incident.incidentManagerId, incident.techLeadId, incident.commsLeadId].filter(
    (id): id is string => id !== null,
  );
  const people = roleIds.length
    ? new Map(
        (
          await tx
            .select({ id: users.id, name: users.name, email: users.email })
            .from(users)
            .where(inArray(users.id, roleIds))
        ).map((u) => [u.id, u.name || u.email]),
      )
    : new Map<string, string>();
  const person = (id: string | null) => (id ? (people.get(id) ?? null) : null);
  return {
    key,
    event: payload.event,
    at: new Date(payload.at),
    siteUrl,
    pageName,
    incident: { ...incident, kind: incident.kind },
    update,
    previousSeverity: payload.previousSeverity as EventContext['previousSeverity'],
    roles: {
      incidentManager: person(incident.incidentManagerId),
      techLead: person(incident.techLeadId),
      commsLead: person(incident.commsLeadId),
    },
  };
}

export type SendOptions = {
  now?: Date;
  /** Deliveries claimed per pass, sent in parallel (default 10). */
  batchSize?: number;
  lockMs?: number;
  timeoutMs?: number;
};

export type SendResult = { claimed: number; sent: number; retried: number; failed: number };

type Claimed = typeof webhookDeliveries.$inferSelect;

/** Claims and sends one batch of due deliveries (see the top of the file). */
export async function sendWebhooks(db: Db, options: SendOptions = {}): Promise<SendResult> {
  const now = options.now ?? new Date();
  const result: SendResult = { claimed: 0, sent: 0, retried: 0, failed: 0 };
  const rows = await claim(db, now, options.batchSize ?? 10, options.lockMs ?? DEFAULT_LOCK_MS);
  result.claimed = rows.length;
  if (!rows.length) return result;
  const hooks = new Map(
    (
      await db
        .select()
        .from(webhooks)
        .where(
          inArray(
            webhooks.id,
            rows.map((r) => r.webhookId),
          ),
        )
    ).map((h) => [h.id, revealWebhook(h)]),
  );
  await Promise.all(
    rows.map(async (row) => {
      const hook = hooks.get(row.webhookId);
      const outcome: Outcome = !hook
        ? { kind: 'failed', reason: 'The webhook was deleted', status: null }
        : !hook.enabled
          ? { kind: 'failed', reason: 'Not sent: the webhook is disabled', status: null }
          : await post(hook, row, now, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      await record(db, row, outcome, now);
      if (outcome.kind === 'sent') result.sent++;
      else if (outcome.kind === 'failed' || row.attempts + 1 >= MAX_WEBHOOK_ATTEMPTS) result.failed++;
      else result.retried++;
    }),
  );
  return result;
}

async function claim(db: Db, now: Date, size: number, lockMs: number): Promise<Claimed[]> {
  const d = webhookDeliveries;
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ id: d.id })
      .from(d)
      .where(
        or(
          and(eq(d.status, 'pending'), lte(d.availableAt, now)),
          and(eq(d.status, 'sending'), lte(d.lockedUntil, now)),
        ),
      )
      .orderBy(asc(d.availableAt), asc(d.id))
      .limit(size)
      .for('update', { skipLocked: true });
    if (!due.length) return [];
    return tx
      .update(d)
      .set({ status: 'sending', lockedUntil: new Date(now.getTime() + lockMs), updatedAt: now })
      .where(
        inArray(
          d.id,
          due.map((r) => r.id),
        ),
      )
      .returning();
  });
}

type Outcome =
  | { kind: 'sent'; status: number }
  | { kind: 'retry'; status: number | null; reason: string; retryAfterMs: number }
  | { kind: 'failed'; status: number | null; reason: string };

async function post(hook: Webhook, row: Claimed, now: Date, timeoutMs: number): Promise<Outcome> {
  if (hook.format === 'signed' && hook.secret === null) {
    return {
      kind: 'failed',
      status: null,
      reason:
        'Not sent: the signing secret cannot be decrypted with this server’s key (VIGIE_SECRET_KEY). Restore the key, or replace the secret.',
    };
  }
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'Vigie-Webhooks/1',
    'X-Vigie-Event': row.event,
    'X-Vigie-Delivery': String(row.id),
    ...(hook.format === 'signed' ? signatureHeaders(hook.secret!, row.payload, now) : {}),
  };
  let res: Response;
  try {
    res = await fetch(hook.url, {
      method: 'POST',
      headers,
      body: row.payload,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    return { kind: 'retry', status: null, reason: networkReason(err, timeoutMs), retryAfterMs: 0 };
  }
  const excerpt = await bodyExcerpt(res);
  const status = res.status;
  if (status >= 200 && status < 300) return { kind: 'sent', status };
  if (status >= 300 && status < 400) {
    const to = res.headers.get('location');
    return {
      kind: 'failed',
      status,
      reason: `The receiver answered ${status}, a redirect${to ? ` to ${to.slice(0, 200)}` : ''}. Vigie does not follow redirects: register the final address.`,
    };
  }
  const said = excerpt ? `: ${excerpt}` : '';
  if (status === 429 || status >= 500) {
    return {
      kind: 'retry',
      status,
      reason: `The receiver answered ${status}${said}`,
      retryAfterMs: retryAfterMs(res.headers.get('retry-after'), now),
    };
  }
  return { kind: 'failed', status, reason: `The receiver refused it with ${status}${said}` };
}

function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `No answer within ${timeoutMs / 1000} s`;
  const detail = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return `Could not reach the receiver (${detail})`;
}

/** The first 200 characters of the answer, on one line (read at most 4 KiB). */
async function bodyExcerpt(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < 4_096) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // A body cut short: what came is enough.
  } finally {
    reader.cancel().catch(() => {});
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** `Retry-After` in seconds or as an HTTP date, in ms (0 when absent or unreadable). */
export function retryAfterMs(value: string | null, now: Date): number {
  if (!value) return 0;
  const ms = /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : Date.parse(value) - now.getTime();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : 0;
}

async function record(db: Db, row: Claimed, outcome: Outcome, now: Date): Promise<void> {
  const d = webhookDeliveries;
  const attempts = row.attempts + 1;
  const common = { attempts, lockedUntil: null, responseStatus: outcome.status, updatedAt: now };
  let set: Partial<typeof d.$inferInsert>;
  if (outcome.kind === 'sent') set = { ...common, status: 'sent', sentAt: now, lastError: null };
  else if (outcome.kind === 'failed') set = { ...common, status: 'failed', lastError: outcome.reason };
  else if (attempts >= MAX_WEBHOOK_ATTEMPTS) {
    set = { ...common, status: 'failed', lastError: `Gave up after ${attempts} attempts: ${outcome.reason}` };
  } else {
    const backoff = backoffMs(attempts);
    set = {
      ...common,
      status: 'pending',
      lastError: outcome.reason,
      availableAt: new Date(now.getTime() + Math.max(backoff, outcome.retryAfterMs)),
    };
  }
  // Only while the claim is still ours: a worker that took the row over after our lock ran out wins.
  await db
    .update(d)
    .set(set)
    .where(and(eq(d.id, row.id), eq(d.status, 'sending'), sql`${d.lockedUntil} = ${row.lockedUntil!.toISOString()}`));
}
