/**
 * The admin views of email deliveries:
 * - on an incident's page, one summary per public update that emailed subscribers: total,
 *   pending (with those being sent), sent, failed, skipped, and why the failed ones failed
 *   ("Gave up after 8 attempts: …" when the worker stopped retrying);
 * - `/admin/incidents/{id}/deliveries`: the same summaries for an incident or a maintenance
 *   (with its reminders); `?update={updateId}` or `?reminders` lists that message's failed
 *   and pending deliveries, 50 a page;
 * - on the subscribers list, why a suppressed address is no longer mailed.
 *
 * Who sees what: every staff role ('internal:read') sees the counts and the reasons.
 * Addresses are personal data, so, as on the subscribers list, they are in full only for
 * the roles that manage subscribers ('subscribers:manage'), and masked for the others, in
 * the rows and inside error messages alike (providers often quote the address).
 */
import { inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { subscribers } from '../../db/schema/index.ts';
import type { DeliveryStatus } from '../../domain/enums.ts';
import { anyIncidentStatusLabel } from '../../domain/status.ts';
import { NotFoundError } from '../errors.ts';
import { isId } from '../ids.ts';
import { getIncident } from '../incidents/queries.ts';
import { MAX_ATTEMPTS } from '../notify/worker.ts';
import {
  listUnfinishedDeliveries,
  summarizeReminderDeliveries,
  summarizeUpdateDeliveries,
  type DeliverySummary,
  type DeliveryTally,
  type FailureReason,
} from '../outbox/deliveries.ts';
import { allowed, authorize, type Caller } from '../services.ts';
import type { PageChrome } from '../status-page/view.ts';
import type { IncidentView } from '../status-page/queries.ts';
import { maskEmail } from '../subscribers/service.ts';
import { adminChrome, adminPage, pageParam, when, type PageOutcome } from './page.ts';

const PER_PAGE = 50;
/** Longer provider messages are cut on the summaries; the list shows them whole. */
const SUMMARY_REASON_CHARS = 300;

export type DeliveriesSummaryItem = {
  /** "Identified, Nov 25, 2026, 14:03 CET", or "Reminders". */
  label: string;
  /** The update on the incident page's timeline; null for reminders and maintenance updates. */
  anchor: string | null;
  counts: DeliveryTally;
  reasons: FailureReason[];
  /** The page listing the failed and pending deliveries (null: on that page already). */
  href: string | null;
};

/** Where a message's failed and pending deliveries are listed. */
export function deliveriesHref(incidentId: string, target: { updateId: string } | 'reminders'): string {
  const query = target === 'reminders' ? 'reminders' : `update=${encodeURIComponent(target.updateId)}`;
  return `/admin/incidents/${incidentId}/deliveries?${query}`;
}

/**
 * One summary per public update of the incident that notified subscribers (newest first),
 * then its reminders if it is a maintenance that sent any. One query, two with reminders.
 */
export async function deliveriesSummary(
  db: Db,
  caller: Caller,
  incident: Pick<IncidentView, 'id' | 'kind' | 'updates'>,
  chrome: Pick<PageChrome, 'timeZone' | 'locale'>,
): Promise<DeliveriesSummaryItem[]> {
  authorize(caller, 'internal:read');
  const mask = !allowed(caller, 'subscribers:manage');
  const summaries = await summarizeUpdateDeliveries(
    db,
    incident.updates.map((u) => u.id),
  );
  const items: DeliveriesSummaryItem[] = incident.updates
    .filter((u) => (u.audience === 'public' && u.notify) || summaries.has(u.id))
    .sort((a, b) => b.displayAt.getTime() - a.displayAt.getTime())
    .map((u) => {
      const summary = summaries.get(u.id) ?? emptySummary();
      return {
        label: `${anyIncidentStatusLabel(u.status)}, ${when(u.displayAt, chrome)}`,
        anchor: incident.kind === 'incident' ? `/admin/incidents/${incident.id}#update-${u.id}` : null,
        counts: summary.counts,
        reasons: shownReasons(summary.reasons, mask, SUMMARY_REASON_CHARS),
        href: deliveriesHref(incident.id, { updateId: u.id }),
      };
    });
  if (incident.kind === 'maintenance') {
    const reminders = await summarizeReminderDeliveries(db, incident.id);
    if (reminders) {
      items.push({
        label: 'Reminders',
        anchor: null,
        counts: reminders.counts,
        reasons: shownReasons(reminders.reasons, mask, SUMMARY_REASON_CHARS),
        href: deliveriesHref(incident.id, 'reminders'),
      });
    }
  }
  return items;
}

export type DeliveryListRow = {
  email: string;
  status: DeliveryStatus;
  /** "Failed", "Waiting to retry", "Being sent", "Waiting". */
  statusLabel: string;
  attempts: number;
  /** When the worker tries again; '—' for a failed one (it never will). */
  nextAttempt: string;
  lastError: string | null;
};

/** One message's deliveries: its counts and reasons, and a page of the failed and pending ones. */
export type MessageDeliveriesView = {
  /** "Identified update of Nov 25, 2026, 14:03 CET" or "Reminders". */
  label: string;
  /** The update on the incident page, when there is one. */
  updateHref: string | null;
  summary: DeliverySummary;
  rows: DeliveryListRow[];
  matching: number;
  page: number;
  pages: number;
  /** The list's URL without `page`, for the pagination links. */
  listHref: string;
};

export type DeliveriesPageView = {
  incident: { id: string; name: string; href: string; kindLabel: string };
  /** Without a filter: every notifying update (and the reminders), each with its link. */
  overview: DeliveriesSummaryItem[] | null;
  /** With `?update=` or `?reminders`: that message. */
  message: MessageDeliveriesView | null;
  /** Addresses are masked for this role. */
  masked: boolean;
  maxAttempts: number;
};

/**
 * `/admin/incidents/{id}/deliveries` (an incident or a maintenance), every staff role:
 * - without a filter, the summary of each notifying update and of the reminders;
 * - `?update={updateId}` or `?reminders`: that message's counts, failure reasons, and its
 *   failed and pending deliveries, 50 a page (`&page=`).
 * A 404 for an unknown incident, an update of another one, reminders of an incident, or a
 * page number that is not one.
 */
export function loadDeliveriesPage(
  db: Db,
  caller: Caller,
  request: Request,
  incidentId: string,
): Promise<PageOutcome<DeliveriesPageView>> {
  return adminPage<DeliveriesPageView>(
    async () => {
      authorize(caller, 'internal:read');
      const mask = !allowed(caller, 'subscribers:manage');
      const url = new URL(request.url);
      const detail = isId(incidentId) ? await getIncident(db, incidentId) : null;
      if (!detail) throw new NotFoundError(`There is no incident ${incidentId}`);
      const { row, view } = detail;
      const chrome = await adminChrome(db, request);
      const href = row.kind === 'maintenance' ? `/admin/maintenance/${row.id}` : `/admin/incidents/${row.id}`;
      const base = {
        incident: {
          id: row.id,
          name: row.name,
          href,
          kindLabel: row.kind === 'maintenance' ? 'Maintenance' : 'Incident',
        },
        masked: mask,
        maxAttempts: MAX_ATTEMPTS,
      };

      const updateId = url.searchParams.get('update');
      const reminders = url.searchParams.has('reminders');
      if (updateId === null && !reminders) {
        return { view: { ...base, overview: await deliveriesSummary(db, caller, view, chrome), message: null } };
      }

      const update = updateId === null ? null : view.updates.find((u) => u.id === updateId);
      if (updateId !== null && !update) throw new NotFoundError(`${row.name} has no update ${updateId}`);
      if (!update && row.kind !== 'maintenance') {
        throw new NotFoundError(`${row.name} is not a maintenance: it sends no reminders`);
      }
      const page = pageParam(url);
      if (page === null) throw new NotFoundError('There is no such page of deliveries');
      const summary = update
        ? ((await summarizeUpdateDeliveries(db, [update.id])).get(update.id) ?? emptySummary())
        : ((await summarizeReminderDeliveries(db, row.id)) ?? emptySummary());
      const list = await listUnfinishedDeliveries(db, update ? { updateId: update.id } : { reminderFor: row.id }, {
        page,
        perPage: PER_PAGE,
      });
      return {
        view: {
          ...base,
          overview: null,
          message: {
            label: update
              ? `${anyIncidentStatusLabel(update.status)} update of ${when(update.displayAt, chrome)}`
              : 'Reminders',
            updateHref: update && row.kind === 'incident' ? `${href}#update-${update.id}` : null,
            summary: { counts: summary.counts, reasons: shownReasons(summary.reasons, mask) },
            rows: list.rows.map((r) => ({
              email: mask ? maskEmail(r.email) : r.email,
              status: r.status,
              statusLabel: statusLabel(r.status, r.attempts),
              attempts: r.attempts,
              nextAttempt: r.status === 'failed' ? '—' : when(r.nextAttemptAt, chrome),
              lastError: r.lastError === null ? null : mask ? maskEmails(r.lastError) : r.lastError,
            })),
            matching: list.matching,
            page,
            pages: Math.max(1, Math.ceil(list.matching / PER_PAGE)),
            listHref: deliveriesHref(row.id, update ? { updateId: update.id } : 'reminders'),
          },
        },
      };
    },
    { href: '/admin/incidents', label: 'Back to the incidents' },
  );
}

/**
 * Why each suppressed subscriber among `ids` is no longer mailed: "Since Nov 25, 2026,
 * 14:03 CET: hard bounce …", the reason masked like the address for roles that see
 * masked addresses. Subscribers that are not suppressed are absent.
 */
export async function suppressionNotes(
  db: Db,
  caller: Caller,
  ids: readonly string[],
): Promise<Record<string, string>> {
  authorize(caller, 'internal:read');
  if (!ids.length) return {};
  const mask = !allowed(caller, 'subscribers:manage');
  const chrome = await adminChrome(db);
  const rows = await db
    .select({ id: subscribers.id, at: subscribers.suppressedAt, reason: subscribers.suppressionReason })
    .from(subscribers)
    .where(inArray(subscribers.id, [...ids]));
  const notes: Record<string, string> = {};
  for (const r of rows) {
    if (!r.at) continue;
    const reason = r.reason?.trim() ? (mask ? maskEmails(r.reason.trim()) : r.reason.trim()) : 'no reason recorded';
    notes[r.id] = `Since ${when(r.at, chrome)}: ${reason}`;
  }
  return notes;
}

/** Every email address in a text, masked as maskEmail does. */
export function maskEmails(text: string): string {
  return text.replace(/[^\s<>"'(),;:@]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, (address) => maskEmail(address));
}

function shownReasons(reasons: FailureReason[], mask: boolean, maxChars?: number): FailureReason[] {
  // Masking can make two reasons alike: count them together.
  const merged = new Map<string, number>();
  for (const r of reasons) {
    let reason = mask ? maskEmails(r.reason) : r.reason;
    if (maxChars && reason.length > maxChars) reason = `${reason.slice(0, maxChars - 1)}…`;
    merged.set(reason, (merged.get(reason) ?? 0) + r.count);
  }
  return [...merged]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

function statusLabel(status: DeliveryStatus, attempts: number): string {
  if (status === 'failed') return 'Failed';
  if (status === 'sending') return 'Being sent';
  if (status === 'pending') return attempts > 0 ? 'Waiting to retry' : 'Waiting';
  return status === 'sent' ? 'Sent' : 'Skipped';
}

function emptySummary(): DeliverySummary {
  return { counts: { total: 0, pending: 0, sent: 0, failed: 0, skipped: 0 }, reasons: [] };
}
