/** The admin dashboard's data: open incidents with severity and age, components not operational, upcoming maintenance. */
import type { Db } from '../../db/client.ts';
import { formatDateTime, formatDuration } from '../../domain/time.ts';
import { messages, type Lang } from '../../i18n/index.ts';
import { loadStatusPage } from '../status-page/queries.ts';
import { componentStatusText, incidentStatusText } from '../status-page/view.ts';

/** Loads the dashboard in the read model's constant number of queries (internal audience). */
export async function loadDashboard(db: Db, now: Date, lang: Lang = 'en') {
  const t = messages(lang);
  const data = await loadStatusPage(db, { audience: 'internal', now });
  const tz = data.settings.timeZone;
  return {
    openIncidents: data.unresolvedIncidents.map((i) => ({
      id: i.id,
      name: i.name,
      visibility: i.visibility,
      severityLabel: i.severity ? t('severity.label', { severity: i.severity }) : t('severity.none'),
      statusLabel: incidentStatusText(i.status, lang),
      age: formatDuration(now.getTime() - i.startedAt.getTime(), lang),
    })),
    degradedComponents: data.components
      .filter((c) => c.status !== 'operational')
      .map((c) => ({
        id: c.id,
        name: c.name,
        visibility: c.visibility,
        statusLabel: componentStatusText(c.status, lang),
      })),
    upcomingMaintenances: data.upcomingMaintenances.map((m) => ({
      id: m.id,
      name: m.name,
      startsIso: m.scheduledFor?.toISOString() ?? '',
      startsText: m.scheduledFor ? formatDateTime(m.scheduledFor, tz, lang) : t('admin.notSet'),
    })),
  };
}
