/**
 * The incident process's shared rules (phases 2, 3 and 6): the response roles and what each
 * one does, the severity suggested by the impact assessment, and the channel topic. Pure, so
 * the admin, the internal page, the webhooks and the tests all read the same rules.
 */
import type { ImpactScope, Severity } from './enums.ts';
import { severityLabel } from './severity.ts';

/** One response role (phase 6), with the incident column that holds it. */
export interface IncidentRoleDefinition {
  /** The incident row's field. */
  key: 'incidentManagerId' | 'techLeadId' | 'commsLeadId';
  /** The API's and the forms' field. */
  field: 'incident_manager_id' | 'tech_lead_id' | 'comms_lead_id';
  label: string;
  /** Short form for the channel topic. */
  short: string;
  responsibilities: string;
}

export const INCIDENT_ROLE_DEFINITIONS: readonly IncidentRoleDefinition[] = [
  {
    key: 'incidentManagerId',
    field: 'incident_manager_id',
    label: 'Incident manager',
    short: 'IM',
    responsibilities:
      'Runs the response: sets the severity, keeps the team focused, decides on escalation and says when it is over.',
  },
  {
    key: 'techLeadId',
    field: 'tech_lead_id',
    label: 'Tech lead',
    short: 'Tech',
    responsibilities:
      'Leads the investigation and the fix, and tells the incident manager what is known and what is next.',
  },
  {
    key: 'commsLeadId',
    field: 'comms_lead_id',
    label: 'Communications lead',
    short: 'Comms',
    responsibilities:
      'Writes the customer updates on a regular rhythm, keeps support and the rest of the company informed.',
  },
];

/** The answers of the impact assessment that bear on the severity (phase 3). */
export interface AssessmentAnswers {
  impactScope?: ImpactScope | null;
  impactFactors?: {
    socialMedia?: boolean;
    security?: boolean;
    dataLoss?: boolean;
    /** A core feature is unavailable or degraded. */
    coreFeature?: boolean;
    /** Customers have a workaround. */
    workaround?: boolean;
  } | null;
}

export interface SeveritySuggestion {
  severity: Severity;
  /** Why, in a sentence a responder can check against the answers. */
  reason: string;
}

/**
 * The severity the assessment points to, or null while it says too little. The rules, in
 * order: all customers, a security breach or data loss → Sev 1; a core feature degraded →
 * Sev 2; a workaround exists → Sev 3 (a minor inconvenience); some customers → Sev 2. The
 * person confirms or changes it: this only suggests.
 */
export function suggestSeverity(answers: AssessmentAnswers): SeveritySuggestion | null {
  const f = answers.impactFactors ?? {};
  if (f.security) return { severity: 1, reason: 'A security breach is Sev 1.' };
  if (f.dataLoss) return { severity: 1, reason: 'Data loss is Sev 1.' };
  if (answers.impactScope === 'all') return { severity: 1, reason: 'All customers are affected: Sev 1.' };
  if (f.coreFeature) return { severity: 2, reason: 'A core feature is degraded: Sev 2.' };
  if (f.workaround) return { severity: 3, reason: 'A minor inconvenience with a workaround: Sev 3.' };
  if (answers.impactScope === 'some') return { severity: 2, reason: 'Some customers are affected: Sev 2.' };
  return null;
}

export interface TopicInput {
  number: number;
  name: string;
  severity: Severity | null;
  /** The status's label, e.g. "Investigating". */
  statusLabel: string;
  managerName?: string | null;
  chatUrl?: string | null;
  videoUrl?: string | null;
  ticketUrl?: string | null;
}

/** The incident's key, e.g. "INC-42". */
export function incidentKey(number: number): string {
  return `INC-${number}`;
}

/**
 * A ready-to-copy chat channel topic (phase 2): key, severity, status, manager and links, on
 * one line, e.g. `INC-42 · Sev 1 · Investigating · API errors · IM: Ana · Video: https://… · Ticket: https://…`.
 */
export function channelTopic(i: TopicInput): string {
  const parts = [incidentKey(i.number)];
  if (i.severity != null) parts.push(severityLabel(i.severity));
  parts.push(i.statusLabel, oneLine(i.name));
  parts.push(`IM: ${i.managerName ? oneLine(i.managerName) : 'unassigned'}`);
  if (i.chatUrl) parts.push(`Chat: ${i.chatUrl}`);
  if (i.videoUrl) parts.push(`Video: ${i.videoUrl}`);
  if (i.ticketUrl) parts.push(`Ticket: ${i.ticketUrl}`);
  return parts.join(' · ');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
