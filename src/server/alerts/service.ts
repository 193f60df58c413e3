/**
 * Phase 1 of the incident process, detect: monitoring webhooks (Alertmanager, Grafana) open
 * and update *draft* incidents (README "Monitoring webhooks").
 *
 * - Each delivery is about one alert group (Alertmanager's `groupKey`; a legacy Grafana
 *   rule). The group's open incident carries the group's key in `incidents.alert_key`
 *   (hashed: a group key can be long); an incident that was since resolved gives its key up,
 *   and the next firing alert of the group opens a new draft.
 * - Something firing and no open incident: a new one, internal, investigating, severity 3
 *   (minor: a person reassesses it in phase 3), through the incident service, with the
 *   components the admin mapped (alert_mappings) set to the mapping's status.
 * - Each alert is one incident_alerts row (incident × fingerprint), upserted.
 * - Alerts that start firing on an existing incident, or resolve, get one internal update;
 *   when every alert of the incident is resolved, that update says so. Nothing is resolved
 *   or published automatically: a person decides.
 * - Idempotent: the rows are compared before anything is written, so the same delivery
 *   twice writes nothing the second time.
 * - A payload of the wrong shape is a ValidationError (422: resending cannot help); a
 *   database failure propagates (5xx, which Alertmanager retries).
 */
import { createHash } from 'node:crypto';
import { and, eq, notInArray } from 'drizzle-orm';
import type { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { alertMappings, incidentAlerts, incidents } from '../../db/schema/index.ts';
import type { ComponentStatus, Severity } from '../../domain/enums.ts';
import { STATUS_RANK } from '../../domain/status.ts';
import { ValidationError } from '../errors.ts';
import { CLOSED_STATUSES, createIncident, postUpdate } from '../incidents/service.ts';
import { authorize, isUniqueViolation, pathsWithUnstorableText, type Caller } from '../services.ts';
import {
  AlertmanagerPayloadSchema,
  LegacyGrafanaPayloadSchema,
  type AlertmanagerPayload,
  type LegacyGrafanaPayload,
} from './schemas.ts';

export type AlertSource = 'alertmanager' | 'grafana';
export type AlertStatus = 'firing' | 'resolved';

/** One alert, whatever tool sent it. */
export type NormalAlert = {
  fingerprint: string;
  status: AlertStatus;
  /** The `alertname` label, or the Grafana rule's name. */
  name: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: Date | null;
  endsAt: Date | null;
};

/** A delivery, whatever tool sent it: one alert group and its alerts. */
export type AlertGroup = { source: AlertSource; groupKey: string; alerts: NormalAlert[] };

/** What a delivery did: the incident it went to (null when nothing fired and none was open). */
export type ReceiveResult = { incidentId: string | null; created: boolean; alerts: number };

/** A monitoring alert is a guess at the impact: minor until a person assesses it (phase 3). */
export const ALERT_SEVERITY: Severity = 3;

const SOURCE_NAMES: Record<AlertSource, string> = { alertmanager: 'Alertmanager', grafana: 'Grafana' };
const ALERT_KEY_INDEX = 'incidents_alert_key_idx';
/** How many alerts an update lists by name; the rest are counted. */
const LISTED = 50;

// ---------------------------------------------------------------------------------------
// Parsing

/** Reads a delivery into one shape; a ValidationError names what is wrong with it. */
export function parseAlertPayload(source: AlertSource, payload: unknown, now = new Date()): AlertGroup {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new ValidationError(`Send ${SOURCE_NAMES[source]}'s webhook payload: a JSON object with an "alerts" list.`, {
      _: 'Must be a JSON object',
    });
  }
  const body = payload as Record<string, unknown>;
  if (source === 'grafana' && !('alerts' in body) && ('ruleId' in body || 'ruleName' in body || 'state' in body)) {
    return fromLegacyGrafana(parsePayload(LegacyGrafanaPayloadSchema, body));
  }
  if (!('alerts' in body)) {
    const legacy = source === 'grafana' ? ' (or, for legacy Grafana alerting, "ruleName" and "state")' : '';
    throw new ValidationError(
      `This is not a ${SOURCE_NAMES[source]} alert payload: it has no "alerts" list${legacy}.`,
      {
        alerts: 'Required',
      },
    );
  }
  return fromAlertmanager(source, parsePayload(AlertmanagerPayloadSchema, body), now);
}

/** Like parseInput, but field names stay as the tool sent them (camelCase, list indexes). */
function parsePayload<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const fields: Record<string, string> = {};
  // Text PostgreSQL refuses (see parseInput).
  for (const path of pathsWithUnstorableText(input))
    fields[path.map(String).join('.') || '_'] ??= 'Contains a NUL character or a lone UTF-16 surrogate';
  const parsed = Object.keys(fields).length ? null : schema.safeParse(input);
  if (parsed?.success) return parsed.data;
  for (const issue of parsed?.error.issues ?? []) fields[issue.path.map(String).join('.') || '_'] ??= issue.message;
  const list = Object.entries(fields)
    .slice(0, 5)
    .map(([field, message]) => `${field}: ${message}`)
    .join('; ');
  throw new ValidationError(`The alert payload is not valid (${list})`, fields);
}

function fromAlertmanager(source: AlertSource, p: AlertmanagerPayload, now: Date): AlertGroup {
  const byFingerprint = new Map<string, NormalAlert>();
  p.alerts.forEach((a, i) => {
    const startsAt = readTime(a.startsAt, `alerts.${i}.startsAt`);
    const endsAt = readTime(a.endsAt, `alerts.${i}.endsAt`);
    // Older Alertmanagers send neither status nor fingerprint: an alert whose end is past is resolved.
    const status: AlertStatus = a.status ?? (endsAt && endsAt.getTime() <= now.getTime() ? 'resolved' : 'firing');
    const fingerprint = a.fingerprint ?? labelsFingerprint(a.labels);
    byFingerprint.set(fingerprint, {
      fingerprint,
      status,
      name: a.labels.alertname || null,
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt,
      endsAt,
    });
  });
  // Without a groupKey (very old senders), the receiver and the grouping labels identify the group.
  const groupKey = p.groupKey ?? `${p.receiver ?? ''}:${stableJson(p.groupLabels ?? {})}`;
  return { source, groupKey, alerts: [...byFingerprint.values()] };
}

function fromLegacyGrafana(p: LegacyGrafanaPayload): AlertGroup {
  const rule = p.ruleId !== undefined ? `id:${p.ruleId}` : `name:${p.ruleName}`;
  const name = p.ruleName || p.title || `Grafana rule ${p.ruleId}`;
  const annotations: Record<string, string> = {};
  if (p.message) annotations.summary = p.message;
  if (p.ruleUrl) annotations.rule_url = p.ruleUrl;
  const matches = (p.evalMatches ?? []).map((m) => `${m.metric ?? '?'}=${m.value ?? 'null'}`);
  if (matches.length) annotations.values = matches.join(', ');
  return {
    source: 'grafana',
    groupKey: `legacy-rule:${rule}`,
    alerts: [
      {
        fingerprint: hash(`legacy-rule:${rule}`).slice(0, 16),
        status: p.state === 'ok' ? 'resolved' : 'firing',
        name,
        labels: { alertname: name, ...(p.tags ?? {}) },
        annotations,
        startsAt: null,
        endsAt: null,
      },
    ],
  };
}

/** A time the tool sent; Go's zero time (0001-01-01) and anything before 1970 mean "not set". */
function readTime(text: string | null | undefined, field: string): Date | null {
  if (!text) return null;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new ValidationError(`${field} is not a time: ${JSON.stringify(text.slice(0, 40))}`, {
      [field]: 'Must be an RFC 3339 time',
    });
  }
  return date.getTime() > 0 ? date : null;
}

/** The fingerprint of an alert that came without one: a hash of its sorted labels. */
export function labelsFingerprint(labels: Record<string, string>): string {
  return hash(stableJson(labels)).slice(0, 16);
}

function stableJson(map: Record<string, string>): string {
  return JSON.stringify(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What incidents.alert_key holds for a group: the source and a hash of its key. */
export function alertKeyOf(source: AlertSource, groupKey: string): string {
  return `${source}:${hash(groupKey).slice(0, 40)}`;
}

// ---------------------------------------------------------------------------------------
// Receiving

/**
 * Records a delivery: opens or updates the group's draft incident (see the top of this
 * file). Needs 'incident:create' (responder and above).
 */
export async function receiveAlerts(
  db: Db,
  caller: Caller,
  source: AlertSource,
  payload: unknown,
  now = new Date(),
): Promise<ReceiveResult> {
  authorize(caller, 'incident:create');
  const group = parseAlertPayload(source, payload, now);
  // Two first deliveries of one group at once: the unique alert key lets one open the
  // incident; the other starts over and finds it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction((tx) => record(tx, caller, group, now));
    } catch (err) {
      if (attempt >= 2 || !isUniqueViolation(err, ALERT_KEY_INDEX)) throw err;
    }
  }
}

type AlertRow = typeof incidentAlerts.$inferSelect;

async function record(tx: Db, caller: Caller, group: AlertGroup, now: Date): Promise<ReceiveResult> {
  const key = alertKeyOf(group.source, group.groupKey);
  const [holder] = await tx.select().from(incidents).where(eq(incidents.alertKey, key)).for('update');
  const open = holder && !CLOSED_STATUSES.includes(holder.status) ? holder : undefined;
  const firing = group.alerts.filter((a) => a.status === 'firing');

  if (!open) {
    if (!firing.length) return { incidentId: null, created: false, alerts: 0 };
    // A resolved incident gives the key up (keeping a trace of it) for the new draft.
    if (holder) {
      await tx
        .update(incidents)
        .set({ alertKey: `${key}@${holder.id}` })
        .where(eq(incidents.id, holder.id));
    }
    const { incident } = await createIncident(tx, caller, {
      name: incidentName(group.source, firing),
      status: 'investigating',
      severity: ALERT_SEVERITY,
      visibility: 'internal',
      source: group.source,
      body: openingBody(group, firing),
      components: await mappedComponents(tx, firing),
      startedAt: now,
    });
    await tx.update(incidents).set({ alertKey: key }).where(eq(incidents.id, incident.id));
    await tx.insert(incidentAlerts).values(group.alerts.map((a) => alertRow(incident.id, group.source, a, now)));
    return { incidentId: incident.id, created: true, alerts: group.alerts.length };
  }

  const existing = new Map(
    (await tx.select().from(incidentAlerts).where(eq(incidentAlerts.incidentId, open.id))).map((r) => [
      r.fingerprint,
      r,
    ]),
  );
  const started: NormalAlert[] = [];
  const ended: NormalAlert[] = [];
  for (const alert of group.alerts) {
    const row = existing.get(alert.fingerprint);
    if (!row) {
      (alert.status === 'firing' ? started : ended).push(alert);
      await tx.insert(incidentAlerts).values(alertRow(open.id, group.source, alert, now));
      continue;
    }
    if (row.status !== alert.status) (alert.status === 'firing' ? started : ended).push(alert);
    if (!sameAlert(row, alert)) {
      const { status, name, labels, annotations, startsAt, endsAt } = alert;
      await tx
        .update(incidentAlerts)
        .set({ status, name, labels, annotations, startsAt, endsAt, updatedAt: now })
        .where(and(eq(incidentAlerts.incidentId, open.id), eq(incidentAlerts.fingerprint, alert.fingerprint)));
    }
  }
  if (started.length || ended.length) {
    const stillFiring = await tx
      .select({ fingerprint: incidentAlerts.fingerprint })
      .from(incidentAlerts)
      .where(and(eq(incidentAlerts.incidentId, open.id), notInArray(incidentAlerts.status, ['resolved'])));
    await postUpdate(tx, caller, open.id, {
      status: open.status,
      audience: 'internal',
      body: changeBody(group.source, started, ended, stillFiring.length === 0),
      components: await mappedComponents(tx, started),
      at: now,
    });
  }
  return { incidentId: open.id, created: false, alerts: group.alerts.length };
}

function alertRow(incidentId: string, source: AlertSource, a: NormalAlert, now: Date) {
  return {
    incidentId,
    fingerprint: a.fingerprint,
    source,
    status: a.status,
    name: a.name,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt,
    endsAt: a.endsAt,
    createdAt: now,
    updatedAt: now,
  };
}

/** Whether a stored row already says what the alert says (then nothing is written). */
function sameAlert(row: AlertRow, a: NormalAlert): boolean {
  return (
    row.status === a.status &&
    row.name === a.name &&
    stableJson(row.labels) === stableJson(a.labels) &&
    stableJson(row.annotations ?? {}) === stableJson(a.annotations) &&
    (row.startsAt?.getTime() ?? null) === (a.startsAt?.getTime() ?? null) &&
    (row.endsAt?.getTime() ?? null) === (a.endsAt?.getTime() ?? null)
  );
}

/** The components mapped to the alerts' labels, each at the worst status a mapping asks for. */
async function mappedComponents(tx: Db, alerts: NormalAlert[]): Promise<Record<string, ComponentStatus>> {
  if (!alerts.length) return {};
  const mappings = await tx.select().from(alertMappings);
  const out: Record<string, ComponentStatus> = {};
  for (const m of mappings) {
    if (!alerts.some((a) => a.labels[m.labelName] === m.labelValue)) continue;
    const current = out[m.componentId];
    if (!current || STATUS_RANK[m.status] > STATUS_RANK[current]) out[m.componentId] = m.status;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Texts (Markdown; rendered through src/server/markdown.ts, which sanitizes)

function incidentName(source: AlertSource, firing: NormalAlert[]): string {
  const names = [...new Set(firing.map((a) => a.name).filter((n): n is string => !!n))];
  const name = names.length ? names.join(', ') : `Alert from ${SOURCE_NAMES[source]}`;
  return name.length > 255 ? `${name.slice(0, 254)}…` : name;
}

function openingBody(group: AlertGroup, firing: NormalAlert[]): string {
  return [
    `Opened by ${SOURCE_NAMES[group.source]}: ${count(firing.length)} firing.`,
    alertList(firing),
    'This draft is internal: nothing is published to customers until a person decides. Assess the impact and the severity (set to 3 until then).',
  ].join('\n\n');
}

function changeBody(source: AlertSource, started: NormalAlert[], ended: NormalAlert[], allResolved: boolean): string {
  const parts: string[] = [];
  if (started.length) parts.push(`${SOURCE_NAMES[source]}: ${count(started.length)} firing.`, alertList(started));
  if (ended.length) parts.push(`${SOURCE_NAMES[source]}: ${count(ended.length)} resolved.`, alertList(ended));
  if (allResolved) {
    parts.push(
      'Every alert on this incident is now resolved. The incident stays open: a person decides whether to resolve it and what to tell customers.',
    );
  }
  return parts.join('\n\n');
}

function count(n: number): string {
  return n === 1 ? '1 alert' : `${n} alerts`;
}

function alertList(alerts: NormalAlert[]): string {
  const lines = alerts.slice(0, LISTED).map((a) => {
    const summary = a.annotations.summary || a.annotations.description || '';
    const labels = Object.entries(a.labels)
      .filter(([k]) => k !== 'alertname')
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([k, v]) => code(`${k}=${v}`))
      .join(', ');
    return `- **${code(a.name ?? a.fingerprint)}**${summary ? `: ${escapeMarkdown(summary)}` : ''}${labels ? ` (${labels})` : ''}`;
  });
  if (alerts.length > LISTED) lines.push(`- and ${alerts.length - LISTED} more`);
  return lines.join('\n');
}

function escapeMarkdown(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/[\\`*_[\]<>#|~!]/g, (c) => `\\${c}`);
}

function code(text: string): string {
  return `\`${text.replace(/\s+/g, ' ').replace(/`/g, "'")}\``;
}
