/**
 * The values of the `{{placeholders}}` a template may use, computed from an incident (or
 * one being drafted), the page settings and the clock. Pure: the admin UI calls it to
 * preview a template, the services to fill one.
 */
import type { AnyIncidentStatus, IncidentKind, Severity } from '../../domain/enums.ts';
import { severityLabel } from '../../domain/severity.ts';
import { anyIncidentStatusLabel } from '../../domain/status.ts';
import { fillTemplate, type FilledTemplate } from '../../domain/templates.ts';
import { formatDateTime, formatDuration } from '../../domain/time.ts';

/** Every placeholder Vigie fills, with what it becomes: the admin UI lists them as help. */
export const TEMPLATE_PLACEHOLDERS = {
  components: 'the affected components, e.g. "REST API and Webhooks"',
  impact: 'the customer impact from the impact assessment',
  started_at: 'when the incident started, in the page time zone',
  next_update: 'when the next update is due: 30 minutes from now',
  page_name: 'the status page name',
  severity: 'the severity, e.g. "Sev 2"',
  duration: 'how long it has lasted (until resolved, or until now)',
  support_cases: 'the number of support cases from the impact assessment',
  name: 'the incident title',
  status: 'the current status, e.g. "Identified"',
  resolved_at: 'when it was resolved (or now)',
  scheduled_for: 'when a maintenance starts',
  scheduled_until: 'when a maintenance ends',
} as const;

export type PlaceholderName = keyof typeof TEMPLATE_PLACEHOLDERS;

/** What templateValues needs to know about the incident; a draft has no id yet. */
export type TemplateIncident = {
  name?: string | null;
  kind?: IncidentKind;
  status?: AnyIncidentStatus | null;
  severity?: Severity | null;
  startedAt?: Date | null;
  resolvedAt?: Date | null;
  scheduledFor?: Date | null;
  scheduledUntil?: Date | null;
  components: readonly { name: string }[];
  impactCustomer?: string | null;
  supportCases?: number | null;
};

export type TemplateSettings = { pageName: string; timeZone: string; locale?: string };

const NEXT_UPDATE_MS = 30 * 60_000;
const FIVE_MINUTES = 5 * 60_000;

/** The value of every placeholder in TEMPLATE_PLACEHOLDERS, never empty. */
export function templateValues(
  incident: TemplateIncident,
  settings: TemplateSettings,
  now: Date,
): Record<PlaceholderName, string> {
  const when = (d: Date) => formatDateTime(d, settings.timeZone, settings.locale ?? 'en');
  const started = incident.startedAt ?? now;
  const end = incident.resolvedAt ?? now;
  // The promise is rounded up to the next 5 minutes: "by 14:35" reads better than "by 14:33".
  const nextUpdate = new Date(Math.ceil((now.getTime() + NEXT_UPDATE_MS) / FIVE_MINUTES) * FIVE_MINUTES);
  return {
    components: listNames(incident.components.map((c) => c.name)),
    impact: incident.impactCustomer?.trim() || 'the impact is still being assessed',
    started_at: when(started),
    next_update: when(nextUpdate),
    page_name: settings.pageName,
    severity:
      incident.kind === 'maintenance'
        ? 'Maintenance'
        : incident.severity
          ? severityLabel(incident.severity)
          : 'Severity not set',
    duration: formatDuration(end.getTime() - started.getTime()),
    support_cases: incident.supportCases == null ? 'none reported' : String(incident.supportCases),
    name: incident.name?.trim() || 'this incident',
    status: incident.status ? anyIncidentStatusLabel(incident.status) : 'Investigating',
    resolved_at: when(end),
    scheduled_for: incident.scheduledFor ? when(incident.scheduledFor) : 'a time to be announced',
    scheduled_until: incident.scheduledUntil ? when(incident.scheduledUntil) : 'a time to be announced',
  };
}

/** A template's title and body with the values filled in, each with the placeholders it left unfilled. */
export function fillTemplateText(
  template: { title: string; body: string },
  values: Readonly<Record<string, string>>,
): { title: FilledTemplate; body: FilledTemplate } {
  return { title: fillTemplate(template.title, values), body: fillTemplate(template.body, values) };
}

/** "A", "A and B", "A, B and C"; "our services" for none. */
function listNames(names: readonly string[]): string {
  if (names.length === 0) return 'our services';
  if (names.length === 1) return names[0];
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
