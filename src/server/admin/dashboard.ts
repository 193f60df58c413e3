/** The admin dashboard's data: open incidents with severity and age, components not operational, upcoming maintenance. */
import type { Db } from '../../db/client.ts';
import { componentStatusLabel, anyIncidentStatusLabel } from '../../domain/status.ts';
import { severityLabel } from '../../domain/severity.ts';
import { formatDateTime, formatDuration } from '../../domain/time.ts';
import { loadStatusPage } from '../status-page/queries.ts';

/** Loads the dashboard in the read model's constant number of queries (internal audience). */
export async function loadDashboard(db: Db, now: Date) {
  const data = await loadStatusPage(db, { audience: 'internal', now });
  const tz = data.settings.timeZone;
  return {
    openIncidents: data.unresolvedIncidents.map((i) => ({
      id: i.id,
      name: i.name,
      visibility: i.visibility,
      severityLabel: i.severity ? severityLabel(i.severity) : 'No severity',
      statusLabel: anyIncidentStatusLabel(i.status),
      age: formatDuration(now.getTime() - i.startedAt.getTime()),
    })),
    degradedComponents: data.components
      .filter((c) => c.status !== 'operational')
      .map((c) => ({ id: c.id, name: c.name, visibility: c.visibility, statusLabel: componentStatusLabel(c.status) })),
    upcomingMaintenances: data.upcomingMaintenances.map((m) => ({
      id: m.id,
      name: m.name,
      startsIso: m.scheduledFor?.toISOString() ?? '',
      startsText: m.scheduledFor ? formatDateTime(m.scheduledFor, tz) : 'not set',
    })),
  };
}
