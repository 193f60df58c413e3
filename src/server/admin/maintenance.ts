/**
 * The admin pages of scheduled maintenance (/admin/maintenance…): the list (active,
 * upcoming, past) and the form that schedules or edits one. Every role reads; scheduling
 * and editing need 'maintenance:manage' (comms and admin), which the services check.
 *
 * The form's start and end are `datetime-local` inputs: wall-clock times with no zone,
 * read and shown in the page's time zone (Settings), whatever the server's own zone is.
 */
import { and, asc, count, desc, eq, inArray, notInArray } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { incidents } from '../../db/schema/index.ts';
import { VISIBILITIES, type Visibility } from '../../domain/enums.ts';
import { anyIncidentStatusLabel } from '../../domain/status.ts';
import { zonedParts } from '../../domain/time.ts';
import { listComponents, listGroups } from '../components/queries.ts';
import { NotFoundError } from '../errors.ts';
import { runForm, type FormState } from '../forms.ts';
import { newSecret } from '../ids.ts';
import { getIncident } from '../incidents/queries.ts';
import type { Incident } from '../incidents/service.ts';
import { createMaintenance, updateMaintenance } from '../maintenances/service.ts';
import { allowed, authorize, type Caller } from '../services.ts';
import { hydrateIncidents, loadComponentIndex } from '../status-page/queries.ts';
import {
  adminChrome,
  adminPage,
  blankForm,
  checked,
  pageParam,
  placeErrors,
  refuse,
  submitted,
  text,
  texts,
  when,
  type PageOutcome,
} from './page.ts';

export const MAINTENANCE_PATH = '/admin/maintenance';
const BACK = { href: MAINTENANCE_PATH, label: 'Back to the maintenance list' };
const PAST_PER_PAGE = 50;
const CLOSED = ['completed', 'resolved', 'postmortem'] as const;

// ---------------------------------------------------------------------------------------
// Wall-clock times in a zone

/**
 * The instant a `datetime-local` value (`2026-03-01T09:30`, seconds optional) names in
 * `timeZone`; null when it is not such a value. A time skipped by a DST change (02:30 on
 * the night clocks go forward) moves forward by the gap; a repeated one (the night they go
 * back) is the first of the two. This is what Temporal calls "compatible".
 */
export function zonedLocalToInstant(value: string, timeZone: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!m) return null;
  const [year, month, day, hour, minute] = m.slice(1, 6).map(Number);
  const second = Number(m[6] ?? 0);
  // Date.UTC reads years below 100 as 19xx: a window before 1970 is a typo anyway.
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  const target = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 February over into March: refuse dates that do not exist.
  if (new Date(target).getUTCDate() !== day) return null;
  const DAY = 86_400_000;
  // The zone's offsets a day before and after: at most one change lies between them.
  const candidates = [offsetAt(target - DAY, timeZone), offsetAt(target + DAY, timeZone)].map((o) => target - o);
  const exact = candidates.filter((t) => wallClock(t, timeZone) === target).sort((a, b) => a - b);
  return new Date(exact[0] ?? candidates[0]);
}

/** The `datetime-local` value (`2026-03-01T09:30`) of an instant in `timeZone`. */
export function instantToZonedLocal(date: Date, timeZone: string): string {
  const p = zonedParts(date, timeZone);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

function wallClock(t: number, timeZone: string): number {
  const p = zonedParts(t, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
}

function offsetAt(t: number, timeZone: string): number {
  return wallClock(t, timeZone) - Math.floor(t / 1000) * 1000;
}

// ---------------------------------------------------------------------------------------
// The list

export type MaintenanceItem = {
  id: string;
  name: string;
  statusLabel: string;
  visibility: Visibility;
  window: string;
  components: string[];
  /** Its window is over but nobody completed it. */
  overdue: boolean;
};

export type MaintenanceListView = {
  active: MaintenanceItem[];
  upcoming: MaintenanceItem[];
  past: MaintenanceItem[];
  page: number;
  pages: number;
  canManage: boolean;
  timeZone: string;
  notice?: string;
};

const NOTICES: Record<string, string> = {
  scheduled: 'The maintenance is scheduled.',
  saved: 'The maintenance is saved.',
};

/** /admin/maintenance: what is on now, what is coming (soonest first), and what is past (50 a page). */
export function loadMaintenanceList(
  db: Db,
  caller: Caller,
  url: URL,
  now = new Date(),
  /** With it, the dates follow the reader's language. */
  request?: Request,
): Promise<PageOutcome<MaintenanceListView>> {
  return adminPage(async () => {
    authorize(caller, 'internal:read');
    const chrome = await adminChrome(db, request);
    const page = pageParam(url);
    if (page === null) throw new NotFoundError('There is no such page of past maintenance');
    const isMaintenance = eq(incidents.kind, 'maintenance');
    const open = await db
      .select()
      .from(incidents)
      .where(and(isMaintenance, notInArray(incidents.status, [...CLOSED])))
      .orderBy(asc(incidents.scheduledFor), asc(incidents.number));
    const past = await db
      .select()
      .from(incidents)
      .where(and(isMaintenance, inArray(incidents.status, [...CLOSED])))
      .orderBy(desc(incidents.scheduledFor), desc(incidents.number))
      .limit(PAST_PER_PAGE)
      .offset((page - 1) * PAST_PER_PAGE);
    const [{ total }] = await db
      .select({ total: count() })
      .from(incidents)
      .where(and(isMaintenance, inArray(incidents.status, [...CLOSED])));
    const pages = Math.max(1, Math.ceil(Number(total) / PAST_PER_PAGE));
    if (page > pages) throw new NotFoundError('There is no such page of past maintenance');

    const componentById = await loadComponentIndex(db, 'internal');
    const views = await hydrateIncidents(db, [...open, ...past], { audience: 'internal', componentById });
    const item = (row: Incident, i: number): MaintenanceItem => ({
      id: row.id,
      name: row.name,
      statusLabel: anyIncidentStatusLabel(row.status),
      visibility: row.visibility,
      window: `${when(row.scheduledFor, chrome)} – ${when(row.scheduledUntil, chrome)}`,
      components: views[i].components.map((c) => c.name),
      overdue: row.status === 'scheduled' && row.scheduledUntil !== null && row.scheduledUntil <= now,
    });
    const openItems = open.map((row, i) => ({ row, item: item(row, i) }));
    const started = (r: Incident) => r.status !== 'scheduled' || (r.scheduledFor !== null && r.scheduledFor <= now);
    return {
      view: {
        active: openItems.filter((o) => started(o.row)).map((o) => o.item),
        upcoming: openItems.filter((o) => !started(o.row)).map((o) => o.item),
        past: past.map((row, i) => item(row, open.length + i)),
        page,
        pages,
        canManage: allowed(caller, 'maintenance:manage'),
        timeZone: chrome.timeZone,
        notice: NOTICES[url.searchParams.get('done') ?? ''],
      },
    };
  });
}

// ---------------------------------------------------------------------------------------
// Schedule and edit

export const MAINTENANCE_FIELDS = [
  'name',
  'body',
  'scheduled_for',
  'scheduled_until',
  'visibility',
  'auto_start',
  'auto_complete',
  'notify',
  'notify_scheduled',
  'notify_reminder',
  'notify_started',
  'notify_completed',
  'idempotency_key',
] as const;
export type MaintenanceValues = Record<(typeof MAINTENANCE_FIELDS)[number], string>;

export type MaintenanceFormView = {
  /** null when scheduling a new one. */
  maintenance: { id: string; name: string; statusLabel: string; body: string | null } | null;
  componentOptions: { value: string; label: string }[];
  /** The chosen component ids (kept on a refused submit). */
  components: string[];
  visibilityOptions: { value: string; label: string }[];
  timeZone: string;
  form: FormState<MaintenanceValues>;
};

/** /admin/maintenance/new (id null) and /admin/maintenance/{id}: comms and admin. */
export function loadMaintenanceForm(
  db: Db,
  caller: Caller,
  request: Request,
  id: string | null,
): Promise<PageOutcome<MaintenanceFormView>> {
  return adminPage<MaintenanceFormView>(async () => {
    authorize(caller, 'maintenance:manage');
    const { timeZone } = await adminChrome(db);
    const existing = id === null ? null : await getIncident(db, id, 'maintenance');
    if (id !== null && !existing) throw new NotFoundError(`There is no maintenance ${id}`);
    const componentOptions = await componentChoices(db);
    const render = (form: FormState<MaintenanceValues>, components: string[]) => ({
      status: form.status,
      view: {
        maintenance: existing && {
          id: existing.row.id,
          name: existing.row.name,
          statusLabel: anyIncidentStatusLabel(existing.row.status),
          // The announcement is the first update; later text goes in new updates.
          body: existing.view.updates.at(-1)?.body ?? null,
        },
        componentOptions,
        components,
        visibilityOptions: VISIBILITIES.map((v) => ({
          value: v,
          label: v === 'public' ? 'Public: on the status page' : 'Internal: staff only',
        })),
        timeZone,
        form,
      },
    });

    const form = await submitted(request);
    if (!form) {
      if (!existing) return render(blankForm(newValues()), []);
      const r = existing.row;
      return render(
        blankForm({
          ...newValues(),
          name: r.name,
          scheduled_for: r.scheduledFor ? instantToZonedLocal(r.scheduledFor, timeZone) : '',
          scheduled_until: r.scheduledUntil ? instantToZonedLocal(r.scheduledUntil, timeZone) : '',
          visibility: r.visibility,
          auto_start: flagValue(r.autoStart),
          auto_complete: flagValue(r.autoComplete),
          notify_scheduled: flagValue(r.notifyScheduled),
          notify_reminder: flagValue(r.notifyReminder),
          notify_started: flagValue(r.notifyStarted),
          notify_completed: flagValue(r.notifyCompleted),
        }),
        existing.view.components.map((c) => c.id),
      );
    }

    const values = Object.fromEntries(MAINTENANCE_FIELDS.map((f) => [f, text(form, f)])) as MaintenanceValues;
    for (const flag of [
      'auto_start',
      'auto_complete',
      'notify',
      'notify_scheduled',
      'notify_reminder',
      'notify_started',
      'notify_completed',
    ] as const) {
      values[flag] = flagValue(checked(form, flag));
    }
    const components = texts(form, 'components');
    const state = await runForm(values, async () => {
      const scheduledFor = zonedLocalToInstant(values.scheduled_for, timeZone);
      const scheduledUntil = zonedLocalToInstant(values.scheduled_until, timeZone);
      const bad: Record<string, string> = {};
      if (!scheduledFor) bad.scheduled_for = 'Choose the date and time the maintenance starts';
      if (!scheduledUntil) bad.scheduled_until = 'Choose the date and time the maintenance ends';
      if (!scheduledFor || !scheduledUntil) refuse(bad);
      const common = {
        name: values.name,
        scheduledFor,
        scheduledUntil,
        components,
        visibility: values.visibility as Visibility,
        autoStart: values.auto_start === 'true',
        autoComplete: values.auto_complete === 'true',
      };
      if (existing) {
        await updateMaintenance(db, caller, existing.row.id, {
          ...common,
          notifyScheduled: values.notify_scheduled === 'true',
          notifyReminder: values.notify_reminder === 'true',
          notifyStarted: values.notify_started === 'true',
          notifyCompleted: values.notify_completed === 'true',
        });
      } else {
        await createMaintenance(db, caller, {
          ...common,
          body: values.body,
          notify: values.notify === 'true',
          idempotencyKey: values.idempotency_key || undefined,
        });
      }
    });
    if (state.status === 200) return { redirect: `${MAINTENANCE_PATH}?done=${existing ? 'saved' : 'scheduled'}` };
    return render({ ...state, errors: placeErrors(state.errors, [...MAINTENANCE_FIELDS, 'components']) }, components);
  }, BACK);
}

function newValues(): MaintenanceValues {
  return {
    name: '',
    body: '',
    scheduled_for: '',
    scheduled_until: '',
    visibility: 'public',
    auto_start: 'true',
    auto_complete: 'true',
    notify: 'true',
    notify_scheduled: 'true',
    notify_reminder: 'true',
    notify_started: 'true',
    notify_completed: 'true',
    // One per form shown: submitting it twice schedules one maintenance.
    idempotency_key: newSecret(),
  };
}

function flagValue(on: boolean): string {
  return on ? 'true' : '';
}

/** Every component, in page order, labelled with its group, internal ones marked. */
async function componentChoices(db: Db): Promise<{ value: string; label: string }[]> {
  const groups = await listGroups(db);
  const all = await listComponents(db);
  const groupOf = new Map(groups.map((g, i) => [g.id, { ...g, order: i }]));
  const label = (c: (typeof all)[number]) => {
    const group = c.groupId ? groupOf.get(c.groupId) : undefined;
    const internal = c.visibility === 'internal' || group?.visibility === 'internal';
    return `${group ? `${group.name} › ` : ''}${c.name}${internal ? ' (internal)' : ''}`;
  };
  const order = (c: (typeof all)[number]) => (c.groupId ? groupOf.get(c.groupId)!.order : groups.length);
  return [...all]
    .sort((a, b) => order(a) - order(b) || a.position - b.position)
    .map((c) => ({ value: c.id, label: label(c) }));
}
