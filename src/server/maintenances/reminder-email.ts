/**
 * The reminder email of a maintenance, for the delivery worker: a `reminder:{incidentId}:{start}`
 * delivery (queued by scheduler.ts) is rendered from
 * `reminderContent(db, row.incidentId, { messageKey: row.messageKey, now })`, and skipped when
 * that is null.
 */
import { messages, type Lang } from '../../i18n/index.ts';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { incidentComponents, incidents } from '../../db/schema/index.ts';
import type { Incident } from '../incidents/service.ts';
import { getSettings } from '../settings/queries.ts';
import { loadComponentIndex } from '../status-page/queries.ts';
import { maintenanceWindow, pageChrome } from '../status-page/view.ts';
import { REMINDER_LEAD_MS, reminderKey } from './scheduler.ts';

export type ReminderContent = {
  incident: Incident;
  /** Where an update email shows its status: "Starts in 60 minutes". */
  subjectStatus: string;
  /** Markdown, like an update's body. */
  body: string;
  /** The start, in the page's time zone and locale (renderEmail's `time`). */
  time: string;
  /** The public components the maintenance covers, by name, in page order. */
  affected: string[];
};

/**
 * What the reminder of a maintenance says, or null when there is nothing to remind of any
 * more: not a public maintenance, no longer scheduled (started, completed, cancelled), its
 * reminder switched off, or its start passed at `now`. Given the delivery's `messageKey`, also
 * null when the key was for another start (the maintenance was moved since it was queued).
 * The text depends on the stored rows only, never on `now`, so a retried batch sends the
 * very same email.
 */
export async function reminderContent(
  db: Db,
  incidentId: string,
  options: { now?: Date; messageKey?: string; lang?: Lang } = {},
): Promise<ReminderContent | null> {
  const [incident] = await db.select().from(incidents).where(eq(incidents.id, incidentId));
  if (!incident || incident.kind !== 'maintenance' || incident.visibility !== 'public') return null;
  if (incident.status !== 'scheduled' || !incident.notifyReminder || !incident.scheduledFor) return null;
  if (incident.scheduledFor.getTime() <= (options.now ?? new Date()).getTime()) return null;
  if (options.messageKey !== undefined && options.messageKey !== reminderKey(incident.id, incident.scheduledFor)) {
    return null;
  }

  const chrome = pageChrome(await getSettings(db), options.lang ? { lang: options.lang } : undefined);
  const t = messages(chrome.lang);
  const publicComponents = await loadComponentIndex(db, 'public');
  const covered = await db
    .select({ id: incidentComponents.componentId })
    .from(incidentComponents)
    .where(eq(incidentComponents.incidentId, incidentId));
  const affected = covered
    .filter((c) => publicComponents.has(c.id))
    .map((c) => publicComponents.get(c.id)!)
    .sort((a, b) => a.position - b.position || a.name.localeCompare(b.name))
    .map((c) => c.name);

  // Counted from when the reminder was queued, so it reads true even when queued late.
  const queuedAt = incident.reminderSentAt?.getTime() ?? incident.scheduledFor.getTime() - REMINDER_LEAD_MS;
  const minutes = Math.min(
    REMINDER_LEAD_MS / 60_000,
    Math.max(1, Math.ceil((incident.scheduledFor.getTime() - queuedAt) / 60_000)),
  );
  const inMinutes = t('email.minutes', { count: minutes });
  const window = maintenanceWindow(incident.scheduledFor, incident.scheduledUntil, chrome);
  const end = window.end ? ` ${t('email.reminderEnd', { end: window.end.text })}` : '';
  return {
    incident,
    subjectStatus: t('email.reminderStatus', { minutes: inMinutes }),
    body: `${t('email.reminderBody', { minutes: inMinutes, start: window.start.text })}${end}`,
    time: window.start.text,
    affected,
  };
}
