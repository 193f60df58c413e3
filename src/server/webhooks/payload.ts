/**
 * The bodies of outgoing webhooks, and their signature. Pure: the worker loads the incident
 * and the update, decides who may see them (`mayReceive`), renders each body once at fan-out
 * (`renderBody`) and signs it at each attempt (`signatureHeaders`).
 *
 * What a public webhook gets is what the public page shows: public incidents, public
 * updates, the public impact (critical/major/minor) and the public URL. Severity ("Sev 2"),
 * internal incidents and updates, roles and links go to internal webhooks only.
 */
import { createHmac } from 'node:crypto';
import type { WebhookDeliveryEvent, WebhookFormat } from '../../db/schema/index.ts';
import type { AnyIncidentStatus, Audience, Severity, Visibility } from '../../domain/enums.ts';
import { incidentKey } from '../../domain/process.ts';
import { impactOf, severityLabel, severityToImpact } from '../../domain/severity.ts';
import { anyIncidentStatusLabel, impactLabel } from '../../domain/status.ts';
import { markdownToText } from '../markdown.ts';

/** What the payload is made of (rows as the database has them). */
export type EventIncident = {
  id: string;
  number: number;
  kind: 'incident' | 'maintenance';
  name: string;
  status: AnyIncidentStatus;
  severity: Severity | null;
  visibility: Visibility;
  startedAt: Date;
  resolvedAt: Date | null;
  chatUrl: string | null;
  videoUrl: string | null;
  ticketUrl: string | null;
};

export type EventUpdate = {
  id: string;
  status: AnyIncidentStatus;
  body: string;
  audience: Audience;
  displayAt: Date;
};

export type EventContext = {
  /** The event's key (`evt_{outbox id}`): the body's `id`, the same for every webhook. */
  key: string;
  event: WebhookDeliveryEvent;
  at: Date;
  siteUrl: string;
  pageName: string;
  incident: EventIncident | null;
  update: EventUpdate | null;
  previousSeverity?: Severity | null;
  /** Names of the people in the incident's roles (internal webhooks only). */
  roles?: { incidentManager: string | null; techLead: string | null; commsLead: string | null };
};

/** Whether a webhook of this audience may get this event at all. */
export function mayReceive(ctx: Pick<EventContext, 'incident' | 'update'>, internal: boolean): boolean {
  if (internal) return true;
  if (ctx.incident && ctx.incident.visibility !== 'public') return false;
  if (ctx.update && ctx.update.audience !== 'public') return false;
  return true;
}

/** The exact body sent, for one format and audience. Throws if the audience may not see it. */
export function renderBody(format: WebhookFormat, internal: boolean, ctx: EventContext): string {
  if (!mayReceive(ctx, internal)) throw new Error('This event is internal: it goes to internal webhooks only');
  const body = format === 'slack' ? slackBody(ctx, internal) : genericBody(ctx, internal);
  return JSON.stringify(body);
}

/** `X-Vigie-Timestamp` and `X-Vigie-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`. */
export function signatureHeaders(secret: string, body: string, now: Date): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return { 'X-Vigie-Timestamp': timestamp, 'X-Vigie-Signature': `v1=${sign(secret, timestamp, body)}` };
}

/** The hex HMAC-SHA256 of `<timestamp>.<body>`, keyed with the secret as text. */
export function sign(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

function incidentUrl(ctx: EventContext, internal: boolean): string {
  const base = ctx.siteUrl.replace(/\/+$/, '');
  return `${base}${internal ? '/internal/incidents' : '/incidents'}/${ctx.incident!.id}`;
}

function genericBody(ctx: EventContext, internal: boolean) {
  const i = ctx.incident;
  const u = ctx.update;
  return {
    id: ctx.key,
    event: ctx.event,
    created_at: ctx.at.toISOString(),
    incident: i && {
      id: i.id,
      name: i.name,
      status: i.status,
      impact: impactOf(i),
      url: incidentUrl(ctx, internal),
      started_at: i.startedAt.toISOString(),
      resolved_at: i.resolvedAt?.toISOString() ?? null,
      ...(ctx.event === 'incident.severity_changed' && !internal
        ? { previous_impact: ctx.previousSeverity ? severityToImpact(ctx.previousSeverity) : 'none' }
        : {}),
      ...(internal
        ? {
            key: incidentKey(i.number),
            visibility: i.visibility,
            severity: i.severity,
            severity_label: i.severity ? severityLabel(i.severity) : null,
            ...(ctx.event === 'incident.severity_changed' ? { previous_severity: ctx.previousSeverity ?? null } : {}),
            roles: {
              incident_manager: ctx.roles?.incidentManager ?? null,
              tech_lead: ctx.roles?.techLead ?? null,
              comms_lead: ctx.roles?.commsLead ?? null,
            },
            links: { chat: i.chatUrl, video: i.videoUrl, ticket: i.ticketUrl },
          }
        : {}),
    },
    update: u && {
      id: u.id,
      status: u.status,
      body: u.body,
      created_at: u.displayAt.toISOString(),
      ...(internal ? { audience: u.audience } : {}),
    },
  };
}

/** Slack's mrkdwn wants `&`, `<` and `>` escaped, and nothing else. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack refuses a section text over 3000 characters. */
function clip(text: string, max = 2_900): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function headline(ctx: EventContext, internal: boolean): string {
  const i = ctx.incident!;
  const status = anyIncidentStatusLabel(i.status);
  switch (ctx.event) {
    case 'incident.created':
      return `New incident (${status})`;
    case 'incident.severity_changed':
      if (internal) {
        const was = ctx.previousSeverity ? severityLabel(ctx.previousSeverity) : 'no severity';
        return `Severity changed to ${i.severity ? severityLabel(i.severity) : 'none'} (was ${was})`;
      }
      return `Impact changed to ${impactLabel(impactOf(i)).toLowerCase()}`;
    case 'incident.update_posted':
      return `Update: ${ctx.update ? anyIncidentStatusLabel(ctx.update.status) : status}`;
    case 'incident.resolved':
      return 'Resolved';
    default:
      return status;
  }
}

function slackBody(ctx: EventContext, internal: boolean) {
  const page = slackEscape(ctx.pageName);
  if (!ctx.incident) {
    const text = `${page}: this is a test from Vigie. The webhook works.`;
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  const i = ctx.incident;
  const name = slackEscape(i.name);
  const url = incidentUrl(ctx, internal);
  const head = headline(ctx, internal);
  const body = ctx.update ? clip(slackEscape(markdownToText(ctx.update.body))) : '';
  const facts = [
    `Status: ${anyIncidentStatusLabel(i.status)}`,
    `Impact: ${impactLabel(impactOf(i))}`,
    ...(internal
      ? [
          incidentKey(i.number),
          i.severity ? severityLabel(i.severity) : 'No severity',
          ...(i.visibility === 'internal' ? ['Internal incident'] : []),
          ...(ctx.update?.audience === 'internal' ? ['Internal update'] : []),
          ...(ctx.roles?.incidentManager ? [`IM: ${slackEscape(ctx.roles.incidentManager)}`] : []),
        ]
      : []),
  ];
  const links = internal
    ? (
        [
          ['Chat', i.chatUrl],
          ['Video', i.videoUrl],
          ['Ticket', i.ticketUrl],
        ] as const
      )
        .filter(([, href]) => href)
        .map(([label, href]) => `<${slackEscape(href!)}|${label}>`)
    : [];
  return {
    text: clip(`${page}: ${head}: ${name}${body ? ` — ${body}` : ''}`),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*<${slackEscape(url)}|${name}>*\n${head}` } },
      ...(body ? [{ type: 'section', text: { type: 'mrkdwn', text: body } }] : []),
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: [...facts, ...links].join(' · ') }],
      },
    ],
  };
}
