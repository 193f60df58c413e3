/**
 * The admin page of the audit log (/admin/audit, admin only): newest first, 50 a page,
 * filtered by actor, action, entity and a date range (days in the page's time zone), with
 * each entry's before and after shown as "field: before → after".
 */
import type { Db } from '../../db/client.ts';
import { startOfZonedDay } from '../../domain/time.ts';
import {
  AUDIT_PAGE_SIZE,
  auditVocabulary,
  listAuditEntries,
  type AuditEntry,
  type AuditFilter,
} from '../audit/queries.ts';
import { authorize, type Caller } from '../services.ts';
import { adminChrome, adminPage, pageParam, when, type PageOutcome } from './page.ts';

export const AUDIT_FILTERS = ['actor', 'action', 'entity_type', 'entity_id', 'from', 'to'] as const;
export type AuditFilterValues = Record<(typeof AUDIT_FILTERS)[number], string>;

export type AuditChange = { field: string; before: string; after: string };
export type AuditRow = {
  id: number;
  at: string;
  atIso: string;
  actor: string;
  actorType: string;
  ip: string | null;
  action: string;
  entity: string | null;
  entityHref: string | null;
  changes: AuditChange[];
  /** Other facts of the entry (ids of what was written with it…). */
  facts: { key: string; value: string }[];
};

export type AuditView = {
  rows: AuditRow[];
  total: number;
  page: number;
  pages: number;
  filter: AuditFilterValues;
  errors: Record<string, string>;
  actions: string[];
  entityTypes: string[];
  timeZone: string;
  /** The query string of the current filter, for the page links. */
  query: (page: number) => string;
};

/** /admin/audit?actor=&action=&entity_type=&entity_id=&from=&to=&page= */
export function loadAuditPage(db: Db, caller: Caller, url: URL, request?: Request): Promise<PageOutcome<AuditView>> {
  return adminPage<AuditView>(async () => {
    authorize(caller, 'audit:read');
    const chrome = await adminChrome(db, request);
    const filter = Object.fromEntries(
      AUDIT_FILTERS.map((f) => [f, (url.searchParams.get(f) ?? '').trim().slice(0, 200)]),
    ) as AuditFilterValues;
    const errors: Record<string, string> = {};
    const from = filter.from ? dayStart(filter.from, chrome.timeZone, 0) : undefined;
    const until = filter.to ? dayStart(filter.to, chrome.timeZone, 1) : undefined;
    if (from === null) errors.from = 'Use a date like 2026-01-31';
    if (until === null) errors.to = 'Use a date like 2026-01-31';
    const page = pageParam(url);
    if (page === null) errors.page = 'There is no such page';
    const { actions, entityTypes } = await auditVocabulary(db, caller);
    const query = (p: number) =>
      `?${new URLSearchParams([...Object.entries(filter).filter(([, v]) => v), ['page', String(p)]])}`;
    const base = { filter, errors, actions, entityTypes, timeZone: chrome.timeZone, query };
    if (Object.keys(errors).length) return { status: 400, view: { ...base, rows: [], total: 0, page: 1, pages: 1 } };

    const where: AuditFilter = {
      actor: filter.actor,
      action: filter.action,
      entityType: filter.entity_type,
      entityId: filter.entity_id,
      from: from ?? undefined,
      until: until ?? undefined,
    };
    const { entries, total } = await listAuditEntries(db, caller, where, { page: page! });
    return {
      view: {
        ...base,
        rows: entries.map((e) => auditRow(e, chrome)),
        total,
        page: page!,
        pages: Math.max(1, Math.ceil(total / AUDIT_PAGE_SIZE)),
      },
    };
  });
}

/** The first instant of a `YYYY-MM-DD` day (plus `days`) in the zone; null when it is not a date. */
function dayStart(value: string, timeZone: string, days: number): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const [year, month, day] = m.slice(1).map(Number);
  if (year < 1970) return null;
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  const next = new Date(Date.UTC(year, month - 1, day + days));
  return startOfZonedDay(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone);
}

const ENTITY_PAGES: Record<string, (id: string) => string> = {
  user: (id) => `/admin/users/${id}`,
  api_token: (id) => `/admin/tokens/${id}`,
  webhook: (id) => `/admin/webhooks/${id}`,
  component: (id) => `/admin/components/${id}`,
  component_group: (id) => `/admin/components/groups/${id}`,
  incident: (id) => `/internal/incidents/${id}`,
};

function auditRow(e: AuditEntry, chrome: Awaited<ReturnType<typeof adminChrome>>): AuditRow {
  const detail = e.detail ?? {};
  const before = asRecord(detail.before);
  const after = asRecord(detail.after);
  const fields = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  return {
    id: e.id,
    at: when(e.at, chrome),
    atIso: e.at.toISOString(),
    actor: e.actorName ?? e.actorId ?? e.actorType,
    actorType: e.actorType,
    ip: e.ip,
    action: e.action,
    entity: e.entityType ? `${e.entityType}${e.entityId ? ` ${e.entityId}` : ''}` : null,
    entityHref:
      e.entityType && e.entityId && ENTITY_PAGES[e.entityType] ? ENTITY_PAGES[e.entityType](e.entityId) : null,
    changes: fields.map((field) => ({
      field,
      before: before && field in before ? show(before[field]) : '—',
      after: after && field in after ? show(after[field]) : '—',
    })),
    facts: Object.entries(detail)
      .filter(([key]) => !((key === 'before' && before) || (key === 'after' && after)))
      .map(([key, value]) => ({ key, value: show(value) })),
  };
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** A value as one short line: text as is, anything else as compact JSON, cut at 300 characters. */
function show(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s.length > 300 ? `${s.slice(0, 299)}…` : s;
}
