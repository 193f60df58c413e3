/**
 * Internal severity (Sev 1-3, what responders triage with) and Statuspage's public
 * impact (critical/major/minor), which is what the API and the page colours use.
 */
import type { Impact, IncidentKind, Severity } from './enums.ts';

/** One row of the severity scale shown to responders when they declare an incident. */
export interface SeverityDefinition {
  severity: Severity;
  label: string;
  impact: 'critical' | 'major' | 'minor';
  summary: string;
  examples: readonly string[];
  /** What is expected of people at this level: page now, or business hours. */
  response: string;
}

/** The default scale; Sev 1 is the most severe. */
export const DEFAULT_SEVERITY_DEFINITIONS: readonly SeverityDefinition[] = [
  {
    severity: 1,
    label: 'Sev 1',
    impact: 'critical',
    summary: 'Critical: a core service is down or unsafe for most or all customers.',
    examples: [
      'Complete outage of a core service',
      'Data loss or data corruption',
      'Security incident or exposure of customer data',
    ],
    response: 'Page the on-call responders now, any hour; all hands until mitigated.',
  },
  {
    severity: 2,
    label: 'Sev 2',
    impact: 'major',
    summary: 'Major: a major function is unavailable or badly degraded for many customers.',
    examples: [
      'A major feature fails for a large share of customers',
      'Severe slowness or error rates on a core service',
      'Outage in one region or for one customer segment',
    ],
    response: 'Page the on-call responders now; work it until mitigated.',
  },
  {
    severity: 3,
    label: 'Sev 3',
    impact: 'minor',
    summary: 'Minor: partial, minor or cosmetic impact, and a workaround exists.',
    examples: [
      'A secondary feature is degraded or unavailable',
      'Elevated latency with no failed requests',
      'Cosmetic or display problems',
    ],
    response: 'Handle during business hours; no page.',
  },
];

const SEVERITY_TO_IMPACT: Readonly<Record<Severity, 'critical' | 'major' | 'minor'>> = {
  1: 'critical',
  2: 'major',
  3: 'minor',
};

/** Public impact of a severity: 1 → critical, 2 → major, 3 → minor. */
export function severityToImpact(severity: Severity): 'critical' | 'major' | 'minor' {
  return SEVERITY_TO_IMPACT[severity];
}

/**
 * Severity of a public impact; null for 'none' and 'maintenance', which have no Sev
 * level (an imported Statuspage incident with impact 'none' needs a human decision).
 */
export function impactToSeverity(impact: Impact): Severity | null {
  if (impact === 'critical') return 1;
  if (impact === 'major') return 2;
  if (impact === 'minor') return 3;
  return null;
}

/** Display label of a severity, e.g. "Sev 2". */
export function severityLabel(severity: Severity): string {
  return `Sev ${severity}`;
}

/** Public impact of an incident row: 'maintenance' for maintenances, else from its severity ('none' if unset). */
export function impactOf(incident: { kind: IncidentKind; severity?: Severity | null }): Impact {
  if (incident.kind === 'maintenance') return 'maintenance';
  return incident.severity == null ? 'none' : SEVERITY_TO_IMPACT[incident.severity];
}
