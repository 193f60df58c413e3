/**
 * View models for the status pages, public and internal. Pure: the pages load data through
 * queries.ts, then hand it here together with `now` (and, for the staff page, the internal
 * ViewOptions), and render what comes back. Keeping the arithmetic (uptime bars, month
 * windows, durations, labels) out of the .astro files makes it testable without a server,
 * and keeps the pages to "load, check, render".
 */
import type { SeverityDefinitions } from '../../db/schema/settings.ts';
import { HEX_COLOR, readableShade } from '../../domain/color.ts';
import type { ComponentStatus, Impact, IncidentKind, Severity } from '../../domain/enums.ts';
import { channelTopic, INCIDENT_ROLE_DEFINITIONS, incidentKey } from '../../domain/process.ts';
import { severityLabel, severityToImpact } from '../../domain/severity.ts';
import { anyIncidentStatusLabel, componentStatusIcon, overallStatus, type StatusIcon } from '../../domain/status.ts';
import {
  formatDateTime,
  formatDuration,
  isValidTimeZone,
  monthKey,
  startOfZonedDay,
  zonedParts,
} from '../../domain/time.ts';
import {
  computeUptime,
  dayWindows,
  formatUptime,
  type DayStatus,
  type DayWindow,
  type UptimeDay,
} from '../../domain/uptime.ts';
import { isRootRelative } from '../fields.ts';
import { renderMarkdown } from '../markdown.ts';
import {
  languageOf,
  localeFor,
  messages,
  negotiateLanguage,
  type Lang,
  type LanguagePreference,
  type MessageKey,
  type Translate,
} from '../../i18n/index.ts';
import type { Settings } from '../settings/queries.ts';
import type {
  ComponentView,
  GroupView,
  IncidentResponseData,
  IncidentView,
  StatusHistoryEvent,
  StatusPageData,
  UpdateView,
  ViewAudience,
} from './queries.ts';

/** How many days the uptime bars cover; the page loads this much history. */
export const UPTIME_DAYS = 90;
/** Calendar months per history page. */
export const MONTHS_PER_PAGE = 3;
/** The last history page anyone may ask for (300 years): bounds the date arithmetic. */
export const MAX_HISTORY_PAGE = 1200;
/** How far back the home page's "Past incidents" list looks. */
export const RECENT_PAST_DAYS = 14;
const RECENT_PAST_LIMIT = 5;

const DAY_MS = 86_400_000;

/** The CSS tone class suffix a status or impact is drawn with (see public.css). */
export type Tone = 'ok' | 'degraded' | 'partial' | 'major' | 'maintenance' | 'none';

export type TimeView = { iso: string; text: string };

/** What the view helpers need to write in the reader's language: the chrome's `lang` (English without). */
type Wording = { lang?: Lang };
type Zoned = Pick<PageChrome, 'timeZone' | 'locale'> & Wording;

function tOf(chrome: Wording | undefined): Translate {
  return messages(chrome?.lang ?? 'en');
}

// ---------------------------------------------------------------------------
// Audience

/**
 * Which status page a view is for. The public page is the default everywhere; the internal
 * (staff) page marks internal items, shows severities and links within `/internal`.
 */
export type ViewOptions = {
  audience: ViewAudience;
  /** Prefix of the page's own links ('' or '/internal'); defaults from the audience. */
  basePath?: string;
  /** The reader's language preference (headers); the page's default language without. */
  language?: LanguagePreference;
};

export const PUBLIC_VIEW: ViewOptions = { audience: 'public' };
export const INTERNAL_VIEW: ViewOptions = { audience: 'internal' };

/** '' for the public page, '/internal' for the staff page, unless the options say otherwise. */
export function basePathOf(options: ViewOptions): string {
  return options.basePath ?? (options.audience === 'internal' ? '/internal' : '');
}

/** The page's home: '/' or '/internal'. */
export function homeHref(options: ViewOptions): string {
  return basePathOf(options) || '/';
}

/** "Sev 2 — major" for an incident, "No severity" when unset, null for a maintenance. */
export function incidentSeverityLabel(
  incident: Pick<IncidentView, 'kind' | 'severity'>,
  lang: Lang = 'en',
): string | null {
  if (incident.kind === 'maintenance') return null;
  const t = messages(lang);
  if (incident.severity === null) return t('severity.none');
  const label = lang === 'en' ? severityLabel(incident.severity) : t('severity.label', { severity: incident.severity });
  return `${label} — ${t(`severity.${severityToImpact(incident.severity)}`)}`;
}

// ---------------------------------------------------------------------------
// Page chrome

export type PageChrome = {
  pageName: string;
  /** Only http(s): a stored `javascript:` URL must never become a link. */
  homeUrl: string | null;
  timeZone: string;
  /** A locale Intl accepts, for dates and `<html lang>`: the page's own, or the reader's language. */
  locale: string;
  /** The header's logo: http(s) or a path on this site, never another scheme. */
  logoUrl: string | null;
  /**
   * The accent colour for links and buttons, as shades readable (4.5:1) on the light and the
   * dark theme's backgrounds; null keeps Vigie's own colours.
   */
  accent: { light: string; dark: string } | null;
  /** The language Vigie writes in on this page (negotiated; the page's default without a preference). */
  lang: Lang;
  /** The page's default language (the language of its `locale` setting, English when unsupported). */
  defaultLang: Lang;
};

// The lightest background links sit on in the light theme, and the darkest-text one in the dark (public.css).
const LIGHT_BACKGROUND = '#f6f8fa';
const DARK_BACKGROUND = '#151b23';

/** The name, link, branding, zone and locale the layout shows; defaults when settings are unavailable (500 page). */
export function pageChrome(
  settings:
    | (Pick<Settings, 'pageName' | 'homeUrl' | 'timeZone' | 'locale'> &
        Partial<Pick<Settings, 'logoUrl' | 'accentColor'>>)
    | null,
  preference?: LanguagePreference,
): PageChrome {
  const accent = settings?.accentColor && HEX_COLOR.test(settings.accentColor) ? settings.accentColor : null;
  const logo = settings?.logoUrl ?? null;
  const pageLocale = safeLocale(settings?.locale ?? 'en');
  const defaultLang = defaultLanguageOf(pageLocale);
  const lang = preference
    ? (preference.lang ?? negotiateLanguage(preference.acceptLanguage, preference.cookie, defaultLang))
    : defaultLang;
  return {
    pageName: settings?.pageName.trim() || 'Status',
    homeUrl: safeHttpUrl(settings?.homeUrl ?? null),
    logoUrl: logo && isRootRelative(logo) ? logo : safeHttpUrl(logo),
    accent: accent
      ? { light: readableShade(accent, LIGHT_BACKGROUND), dark: readableShade(accent, DARK_BACKGROUND) }
      : null,
    // A zone Intl does not know would make every date on the page throw.
    timeZone: settings && isValidTimeZone(settings.timeZone) ? settings.timeZone : 'UTC',
    locale: localeFor(lang, pageLocale),
    lang,
    defaultLang,
  };
}

/** The page's default language: the language of its locale setting, English when Vigie does not speak it. */
export function defaultLanguageOf(locale: string): Lang {
  return languageOf(locale) ?? 'en';
}

export function safeHttpUrl(value: string | null): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : null;
  } catch {
    return null;
  }
}

/**
 * The stylesheet text that applies the accent: `--link` and `--focus` in both themes. Only
 * `#rrggbb` values reach it (pageChrome), so it cannot carry anything else into the page.
 */
export function accentCss(accent: NonNullable<PageChrome['accent']>): string {
  // `html:root` outranks public.css's `:root`, whichever stylesheet comes first.
  return (
    `html:root{--link:${accent.light};--focus:${accent.light}}` +
    `@media (prefers-color-scheme: dark){html:root{--link:${accent.dark};--focus:${accent.dark}}}`
  );
}

function safeLocale(value: string): string {
  try {
    return Intl.getCanonicalLocales(value)[0] ?? 'en';
  } catch {
    return 'en';
  }
}

export function timeView(date: Date, chrome: Zoned): TimeView {
  return { iso: date.toISOString(), text: formatDateTime(date, chrome.timeZone, chrome.locale) };
}

// ---------------------------------------------------------------------------
// Statuses, impacts, tones and icons

const STATUS_TONES: Readonly<Record<ComponentStatus, Tone>> = {
  operational: 'ok',
  degraded_performance: 'degraded',
  partial_outage: 'partial',
  major_outage: 'major',
  under_maintenance: 'maintenance',
};

const IMPACT_TONES: Readonly<Record<Impact, Tone>> = {
  none: 'ok',
  minor: 'degraded',
  major: 'partial',
  critical: 'major',
  maintenance: 'maintenance',
};

const IMPACT_ICONS: Readonly<Record<Impact, StatusIcon>> = {
  none: 'check',
  minor: 'minus',
  major: 'alert',
  critical: 'cross',
  maintenance: 'wrench',
};

export function statusTone(status: DayStatus): Tone {
  return status === 'no_data' ? 'none' : STATUS_TONES[status];
}

export function impactTone(impact: Impact): Tone {
  return IMPACT_TONES[impact];
}

export function impactIcon(impact: Impact): StatusIcon {
  return IMPACT_ICONS[impact];
}

/** "Major impact", "Maintenance"… as shown next to an incident's name. */
export function impactText(impact: Impact, lang: Lang = 'en'): string {
  return messages(lang)(`impact.${impact}`);
}

/** "Degraded performance", "Performances dégradées"… */
export function componentStatusText(status: ComponentStatus, lang: Lang = 'en'): string {
  return messages(lang)(`component.${status}`);
}

/** "Investigating", "Analyse en cours"…, for incidents and maintenances alike. */
export function incidentStatusText(status: IncidentView['status'], lang: Lang = 'en'): string {
  return messages(lang)(`status.${status}`);
}

// The overall status is worded in English by the domain (for the v2 API); the page says it in the reader's language.
const OVERALL_KEYS: Readonly<Record<string, MessageKey>> = {
  'All Systems Operational': 'overall.none',
  'Service Under Maintenance': 'overall.maintenance',
  'Partially Degraded Service': 'overall.partiallyDegraded',
  'Degraded System Service': 'overall.degraded',
  'Minor Service Outage': 'overall.minorOutage',
  'Partial System Outage': 'overall.partialOutage',
  'Major System Outage': 'overall.majorOutage',
};

/** The overall status description in the reader's language. */
export function overallText(description: string, lang: Lang = 'en'): string {
  const key = OVERALL_KEYS[description];
  return key ? messages(lang)(key) : description;
}

export type StatusBadge = { label: string; tone: Tone; icon: StatusIcon };

export function componentBadge(status: ComponentStatus, lang: Lang = 'en'): StatusBadge {
  return { label: componentStatusText(status, lang), tone: statusTone(status), icon: componentStatusIcon(status) };
}

export function componentFeedHref(componentId: string): string {
  return `/components/${encodeURIComponent(componentId)}/feed.rss`;
}

function isClosed(status: IncidentView['status']): boolean {
  return status === 'resolved' || status === 'postmortem' || status === 'completed';
}

// ---------------------------------------------------------------------------
// Uptime bars

export type UptimeBar = {
  date: string;
  status: DayStatus;
  tone: Tone;
  /** "Nov 3, 2026: partial outage for 1 h 20 min, 99.72% uptime" or "Nov 3, 2026: no data". */
  label: string;
};

/**
 * Consecutive days drawn as one element with one tooltip: a run of clean days (operational,
 * 100%) or of days with no data; every other day is a run of one with its own label.
 */
export type UptimeRun = {
  /** Index of the run's first day in `days`. */
  start: number;
  length: number;
  tone: Tone;
  /** The day's label, or "Oct 1, 2026 to Nov 2, 2026: operational, 100% uptime" for a run. */
  label: string;
};

export type UptimeBarsView = {
  days: UptimeBar[];
  /** What the page draws: `days` with clean and no-data stretches merged. */
  runs: UptimeRun[];
  uptime: number | null;
  /** "99.98% uptime", or "No data yet". */
  uptimeText: string;
  /** One sentence for assistive technology: the overall figure and how many days had trouble. */
  summary: string;
  /** The days worth reading out one by one (anything but a clean operational day), no-data runs merged. */
  notable: string[];
};

/**
 * Uptime bars for every showcased component, from the page's status history. The day
 * windows are computed once for the page; each component's events are filtered once.
 */
export function buildUptimeBars(
  components: readonly Pick<ComponentView, 'id' | 'name' | 'createdAt' | 'startDate' | 'showcase'>[],
  history: readonly StatusHistoryEvent[],
  options: { now: Date; timeZone: string; locale?: string; lang?: Lang; days?: number },
): Map<string, UptimeBarsView> {
  const days = options.days ?? UPTIME_DAYS;
  const locale = options.locale ?? 'en';
  const windows: DayWindow[] = dayWindows(options.now, options.timeZone, days);
  const byComponent = new Map<string, StatusHistoryEvent[]>();
  for (const e of history) {
    const list = byComponent.get(e.componentId);
    if (list) list.push(e);
    else byComponent.set(e.componentId, [e]);
  }
  const out = new Map<string, UptimeBarsView>();
  for (const c of components) {
    if (!c.showcase) continue;
    const result = computeUptime({
      history: byComponent.get(c.id) ?? [],
      createdAt: observedSince(c, options.timeZone),
      now: options.now,
      timeZone: options.timeZone,
      windows,
    });
    out.set(c.id, barsView(result.days, result.uptime, days, locale, options.lang ?? 'en'));
  }
  return out;
}

// `startDate` is the day monitoring began: days before it are "no data", even if the row is older.
function observedSince(c: Pick<ComponentView, 'createdAt' | 'startDate'>, timeZone: string): Date {
  const m = c.startDate ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(c.startDate) : null;
  if (!m) return c.createdAt;
  const start = startOfZonedDay(Number(m[1]), Number(m[2]), Number(m[3]), timeZone);
  return start > c.createdAt ? start : c.createdAt;
}

function barsView(
  days: UptimeDay[],
  uptime: number | null,
  dayCount: number,
  locale: string,
  lang: Lang,
): UptimeBarsView {
  const t = messages(lang);
  const bars: UptimeBar[] = days.map((d) => ({
    date: d.date,
    status: d.status,
    tone: statusTone(d.status),
    label: dayLabel(d, locale, lang),
  }));
  const notable: string[] = [];
  const runs: UptimeRun[] = [];
  let troubled = 0;
  for (let i = 0; i < days.length; i++) {
    const d = days[i];
    if (d.status === 'no_data' || isCleanDay(d)) {
      let j = i;
      const same = d.status === 'no_data' ? (x: UptimeDay) => x.status === 'no_data' : isCleanDay;
      while (j + 1 < days.length && same(days[j + 1])) j++;
      // "Oct 1, 2026 to " + the last day's own label: "Nov 3, 2026: no data".
      const label =
        j === i ? bars[i].label : t('uptime.range', { from: calendarDate(d.date, locale), last: bars[j].label });
      runs.push({ start: i, length: j - i + 1, tone: bars[i].tone, label });
      if (d.status === 'no_data') notable.push(label);
      i = j;
    } else {
      runs.push({ start: i, length: 1, tone: bars[i].tone, label: bars[i].label });
      if (d.status !== 'operational' && d.status !== 'under_maintenance') troubled++;
      if (d.status !== 'operational') notable.push(bars[i].label);
    }
  }
  const value = uptimePercent(uptime, lang);
  const uptimeText = uptime === null ? t('uptime.noDataYet') : t('uptime.value', { value });
  const trouble = troubled === 0 ? t('uptime.troubledNone') : t('uptime.troubled', { count: troubled });
  const summary =
    uptime === null
      ? t('uptime.summaryNoData', { days: dayCount })
      : t('uptime.summary', { value, days: dayCount, trouble });
  return { days: bars, runs, uptime, uptimeText, summary, notable };
}

// An operational day at 100% says nothing its neighbours do not: such days merge into one run.
function isCleanDay(d: UptimeDay): boolean {
  return d.status === 'operational' && d.uptime === 1;
}

function dayLabel(d: UptimeDay, locale: string, lang: Lang): string {
  const t = messages(lang);
  const date = calendarDate(d.date, locale);
  if (d.status === 'no_data' || d.uptime === null) return t('uptime.noData', { date });
  const outage = d.outageSeconds.major + d.outageSeconds.partial;
  const status = componentStatusText(d.status, lang).toLowerCase();
  const value = uptimePercent(d.uptime, lang);
  return outage > 0
    ? t('uptime.dayFor', { date, status, duration: formatDuration(outage * 1000, lang), value })
    : t('uptime.day', { date, status, value });
}

/** "99.98%" in English, "99,98 %" in French (a decimal comma and a narrow no-break space). */
function uptimePercent(fraction: number | null, lang: Lang): string {
  const text = formatUptime(fraction);
  return lang === 'fr' ? text.replace('.', ',').replace('%', '\u202f%') : text;
}

const calendarFormatters = new Map<string, Intl.DateTimeFormat>();

/** 'YYYY-MM-DD' → "Nov 3, 2026": a calendar date, so it is formatted in UTC to stay the same day. */
export function calendarDate(date: string, locale = 'en'): string {
  let f = calendarFormatters.get(locale);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric' });
    calendarFormatters.set(locale, f);
  }
  const [y, m, d] = date.split('-').map(Number);
  return f.format(Date.UTC(y, m - 1, d));
}

// ---------------------------------------------------------------------------
// Incidents

export type UpdateItem = {
  id: string;
  /** An internal update: staff only, never on the public page. */
  internal: boolean;
  statusLabel: string;
  tone: Tone;
  time: TimeView;
  /** Sanitized HTML from renderMarkdown: safe for set:html. */
  html: string;
  /** "REST API: Partial outage, Webhooks: Operational", or null. */
  affected: string | null;
};

export type IncidentItem = {
  id: string;
  /** `/incidents/{id}`, or `/internal/incidents/{id}` on the staff page. */
  href: string;
  kind: IncidentKind;
  name: string;
  /** An internal incident: staff only, never on the public page. */
  internal: boolean;
  impact: Impact;
  impactText: string;
  /** "Sev 2 — major" (see incidentSeverityLabel) on the staff page; always null on the public one. */
  severityLabel: string | null;
  tone: Tone;
  icon: StatusIcon;
  status: IncidentView['status'];
  statusLabel: string;
  statusTone: Tone;
  closed: boolean;
  started: TimeView;
  resolved: TimeView | null;
  /** "2 h 15 min"; for an open incident, the time so far. */
  duration: string;
  /** Maintenance window, e.g. "Nov 28, 2026, 02:00 – 04:00 CET". */
  window: { start: TimeView; end: TimeView | null; text: string } | null;
  components: (StatusBadge & { id: string; name: string; feedHref: string; internal: boolean })[];
  /** Newest first. */
  updates: UpdateItem[];
};

/** Everything an incident card, row or page shows about one incident or maintenance. */
export function incidentItem(
  incident: IncidentView,
  chrome: Zoned,
  now: Date,
  options: ViewOptions = PUBLIC_VIEW,
): IncidentItem {
  const closed = isClosed(incident.status);
  const lang = chrome.lang ?? 'en';
  const end = closed ? (incident.resolvedAt ?? incident.updatedAt) : now;
  return {
    id: incident.id,
    href: `${basePathOf(options)}/incidents/${encodeURIComponent(incident.id)}`,
    kind: incident.kind,
    name: incident.name,
    internal: incident.visibility === 'internal',
    impact: incident.impact,
    impactText: impactText(incident.impact, lang),
    // Severity is the responders' triage scale: customers see the impact only.
    severityLabel: options.audience === 'internal' ? incidentSeverityLabel(incident, lang) : null,
    tone: impactTone(incident.impact),
    icon: impactIcon(incident.impact),
    status: incident.status,
    statusLabel: incidentStatusText(incident.status, lang),
    statusTone: closed ? 'ok' : impactTone(incident.impact),
    closed,
    started: timeView(incident.startedAt, chrome),
    resolved: closed ? timeView(end, chrome) : null,
    duration: formatDuration(end.getTime() - incident.startedAt.getTime(), lang),
    window: incident.scheduledFor ? maintenanceWindow(incident.scheduledFor, incident.scheduledUntil, chrome) : null,
    components: incident.components.map((c) => ({
      id: c.id,
      name: c.name,
      feedHref: componentFeedHref(c.id),
      internal: c.visibility === 'internal',
      ...componentBadge(c.status, lang),
    })),
    updates: incident.updates.map((u) => updateItem(u, incident, chrome)),
  };
}

/** `end`: the fact is a window from `time` to `end` (public/vigie-time.js rewrites both to the reader's zone). */
export type Fact = { label: string; text: string; time?: TimeView; end?: TimeView | null };

/**
 * The summary facts of the incident page. An incident has a start, an end and a duration;
 * a maintenance has a window: its `startedAt` is when it was announced, not when work began.
 */
export function incidentFacts(
  item: IncidentItem,
  incident: Pick<IncidentView, 'scheduledFor' | 'scheduledUntil'>,
  lang: Lang = 'en',
): Fact[] {
  const t = messages(lang);
  if (item.kind === 'maintenance') {
    const facts: Fact[] = [];
    if (item.window) {
      facts.push({
        label: t('fact.scheduledWindow'),
        text: item.window.text,
        time: item.window.start,
        end: item.window.end,
      });
    }
    if (incident.scheduledFor && incident.scheduledUntil) {
      facts.push({
        label: t('fact.plannedDuration'),
        text: formatDuration(incident.scheduledUntil.getTime() - incident.scheduledFor.getTime(), lang),
      });
    }
    if (item.resolved) facts.push({ label: t('fact.completed'), text: item.resolved.text, time: item.resolved });
    else
      facts.push({
        label: t('fact.progress'),
        text: item.status === 'scheduled' ? t('fact.notStarted') : t('fact.inProgress'),
      });
    return facts;
  }
  return [
    { label: t('fact.started'), text: item.started.text, time: item.started },
    item.resolved
      ? { label: t('fact.resolved'), text: item.resolved.text, time: item.resolved }
      : { label: t('fact.resolved'), text: t('fact.ongoing') },
    {
      label: t('fact.duration'),
      text: item.resolved ? item.duration : t('fact.ongoingSoFar', { duration: item.duration }),
    },
  ];
}

/** One update of a timeline. Which updates there are is the read model's choice (its audience). */
export function updateItem(u: UpdateView, incident: Pick<IncidentView, 'impact'>, chrome: Zoned): UpdateItem {
  const lang = chrome.lang ?? 'en';
  return {
    id: u.id,
    internal: u.audience === 'internal',
    statusLabel: incidentStatusText(u.status, lang),
    tone: isClosed(u.status) ? 'ok' : impactTone(incident.impact),
    time: timeView(u.displayAt, chrome),
    html: renderMarkdown(u.body),
    affected: u.affected.length
      ? u.affected
          .map((a) =>
            messages(lang)('incident.componentStatus', {
              name: a.name,
              status: componentStatusText(a.newStatus, lang),
            }),
          )
          .join(', ')
      : null,
  };
}

/** "Nov 28, 2026, 02:00 – 04:00 CET" when the window fits in a day, both full times otherwise. */
export function maintenanceWindow(
  start: Date,
  end: Date | null,
  chrome: Zoned,
): { start: TimeView; end: TimeView | null; text: string } {
  const from = timeView(start, chrome);
  if (!end) return { start: from, end: null, text: tOf(chrome)('incident.from', { time: from.text }) };
  const to = timeView(end, chrome);
  // formatDateTime reads "<date>, HH:MM ZONE"; when date and zone match, say them once.
  const pattern = /^(.*), (\d{1,2}:\d{2}) (\S+)$/;
  const a = pattern.exec(from.text);
  const b = pattern.exec(to.text);
  if (a && b && a[1] === b[1]) {
    const text = a[3] === b[3] ? `${a[1]}, ${a[2]} – ${b[2]} ${b[3]}` : `${a[1]}, ${a[2]} ${a[3]} – ${b[2]} ${b[3]}`;
    return { start: from, end: to, text };
  }
  return { start: from, end: to, text: `${from.text} – ${to.text}` };
}

// ---------------------------------------------------------------------------
// Post-mortems and the response (staff only)

export type PostmortemView = {
  /** Sanitized HTML from renderMarkdown: safe for set:html. */
  html: string;
  /** When it was published; null for a draft, which only the staff page ever gets. */
  published: TimeView | null;
};

/** A post-mortem's view, or null when there is no text. Which text is the loader's choice. */
export function postmortemView(
  body: string | null,
  publishedAt: Date | null,
  chrome: Pick<PageChrome, 'timeZone' | 'locale'>,
): PostmortemView | null {
  if (!body?.trim()) return null;
  return { html: renderMarkdown(body), published: publishedAt ? timeView(publishedAt, chrome) : null };
}

export type SeverityDefinitionView = {
  /** The definition's label, e.g. "Sev 2". */
  label: string;
  description: string;
  examples: string[];
  /** What is expected of people, e.g. "Page the on-call now"; null when not written. */
  response: string | null;
};

/** The written definition of a severity (from the settings), or null without a severity. */
export function severityDefinitionView(
  severity: Severity | null,
  definitions: SeverityDefinitions,
): SeverityDefinitionView | null {
  if (severity === null) return null;
  const d = definitions[String(severity) as '1' | '2' | '3'];
  if (!d) return null;
  return {
    label: d.label.trim() || `Sev ${severity}`,
    description: d.description.trim(),
    examples: (d.examples ?? []).map((e) => e.trim()).filter(Boolean),
    response: d.response?.trim() || null,
  };
}

export type RoleView = {
  label: string;
  /** The holder's name (or email), null when nobody holds it. */
  holder: string | null;
  /** The holder, or "Unassigned". */
  holderText: string;
  responsibilities: string;
};

export type LinkView = { label: string; href: string };

export type ResponseView = {
  /** "INC-42". */
  key: string;
  severity: SeverityDefinitionView | null;
  roles: RoleView[];
  /** "Incident manager: Ana · Tech lead: Unassigned · Communications lead: Bo", for the cards. */
  rolesLine: string;
  /** Chat, video bridge and ticket, only those that are http(s) URLs. */
  links: LinkView[];
  /** The impact assessment's answers; empty when nothing was assessed yet. */
  assessment: Fact[];
  /** The assessment's first answer, for the cards. */
  customerImpact: string | null;
  /** Sanitized HTML. */
  recapHtml: string | null;
  /** Draft or published. */
  postmortem: PostmortemView | null;
  /** The ready-to-copy chat channel topic. */
  channelTopic: string;
};

const FACTORS = ['socialMedia', 'security', 'dataLoss', 'coreFeature', 'workaround'] as const;

/** The impact assessment as facts, in the order the process asks them; unanswered ones left out. */
export function assessmentFacts(
  data: Pick<
    IncidentResponseData,
    'impactCustomer' | 'impactVisible' | 'impactScope' | 'impactStartedAt' | 'supportCases' | 'impactFactors'
  >,
  chrome: Pick<PageChrome, 'timeZone' | 'locale'> & { lang?: Lang },
): Fact[] {
  const t = messages(chrome.lang ?? 'en');
  const facts: Fact[] = [];
  const text = (label: string, value: string | null | undefined) => {
    if (value?.trim()) facts.push({ label, text: value.trim() });
  };
  text(t('response.customerImpact'), data.impactCustomer);
  text(t('response.whatCustomersSee'), data.impactVisible);
  if (data.impactScope) facts.push({ label: t('response.howMany'), text: t(`response.scope.${data.impactScope}`) });
  if (data.impactStartedAt) {
    const at = timeView(data.impactStartedAt, chrome);
    facts.push({ label: t('response.impactStarted'), text: at.text, time: at });
  }
  if (data.supportCases !== null) facts.push({ label: t('response.supportCases'), text: String(data.supportCases) });
  const f = data.impactFactors;
  if (f) {
    const checked = FACTORS.filter((key) => f[key] === true).map((key) => t(`response.factor.${key}`));
    facts.push({ label: t('response.otherFactors'), text: checked.length ? checked.join(', ') : t('response.none') });
    text(t('response.notes'), f.notes);
  }
  return facts;
}

/** The staff-only response view of an incident, from loadIncidentResponses and the severity definitions. */
export function incidentResponse(
  data: IncidentResponseData,
  incident: Pick<IncidentView, 'number' | 'name' | 'severity' | 'status'>,
  definitions: SeverityDefinitions,
  chrome: Pick<PageChrome, 'timeZone' | 'locale'> & { lang?: Lang },
): ResponseView {
  const t = messages(chrome.lang ?? 'en');
  const holders = { incidentManagerId: data.incidentManager, techLeadId: data.techLead, commsLeadId: data.commsLead };
  const roles: RoleView[] = INCIDENT_ROLE_DEFINITIONS.map((r) => {
    const holder = holders[r.key]?.name ?? null;
    return {
      label: t(`response.role.${r.key}`),
      holder,
      holderText: holder ?? t('response.unassigned'),
      responsibilities: t(`response.duty.${r.key}`),
    };
  });
  const chatUrl = safeHttpUrl(data.chatUrl);
  const videoUrl = safeHttpUrl(data.videoUrl);
  const ticketUrl = safeHttpUrl(data.ticketUrl);
  const links: LinkView[] = [];
  if (chatUrl) links.push({ label: t('response.chat'), href: chatUrl });
  if (videoUrl) links.push({ label: t('response.video'), href: videoUrl });
  if (ticketUrl) links.push({ label: t('response.ticket'), href: ticketUrl });
  return {
    key: incidentKey(incident.number),
    severity: severityDefinitionView(incident.severity, definitions),
    roles,
    rolesLine: roles.map((r) => t('response.roleLine', { role: r.label, holder: r.holderText })).join(' · '),
    links,
    assessment: assessmentFacts(data, chrome),
    customerImpact: data.impactCustomer?.trim() || null,
    recapHtml: data.recap?.trim() ? renderMarkdown(data.recap) : null,
    postmortem: postmortemView(data.postmortem, data.postmortemPublishedAt, chrome),
    channelTopic: channelTopic({
      number: incident.number,
      name: incident.name,
      severity: incident.severity,
      statusLabel: anyIncidentStatusLabel(incident.status),
      managerName: data.incidentManager?.name ?? null,
      chatUrl,
      videoUrl,
      ticketUrl,
    }),
  };
}

// ---------------------------------------------------------------------------
// The home page

export type ComponentItem = {
  id: string;
  name: string;
  /** Never shown to customers: internal itself, or inside an internal group. */
  internal: boolean;
  description: string | null;
  badge: StatusBadge;
  bars: UptimeBarsView | null;
  feedHref: string;
};

export type GroupItem = {
  id: string;
  name: string;
  /** An internal group: it and everything in it are staff only. */
  internal: boolean;
  description: string | null;
  badge: StatusBadge;
  /** A group with a problem is always open, whatever `collapsed` says. */
  open: boolean;
  components: ComponentItem[];
};

export type HomeItem = { type: 'group'; group: GroupItem } | { type: 'component'; component: ComponentItem };

export type HomeView = {
  chrome: PageChrome;
  audience: ViewAudience;
  /** '/' or '/internal'. */
  homeHref: string;
  banner: { description: string; tone: Tone; icon: StatusIcon; updated: TimeView };
  activeIncidents: IncidentItem[];
  activeMaintenances: IncidentItem[];
  upcomingMaintenances: IncidentItem[];
  /** Closed incidents of the last RECENT_PAST_DAYS, newest first. */
  pastIncidents: IncidentItem[];
  items: HomeItem[];
  /** Whether any shown component has uptime bars (the legend is shown once). */
  hasBars: boolean;
  uptimeDays: number;
};

/** Whether a group starts unfolded: when the operator asked, or when something in it is wrong. */
export function groupIsOpen(
  group: Pick<GroupView, 'collapsed'> & { components: readonly Pick<ComponentView, 'status'>[] },
): boolean {
  return !group.collapsed || group.components.some((c) => c.status !== 'operational');
}

/** Statuspage's "only show if degraded": an operational component so flagged is left out. */
export function isComponentShown(c: Pick<ComponentView, 'status' | 'onlyShowIfDegraded'>): boolean {
  return !c.onlyShowIfDegraded || c.status !== 'operational';
}

/**
 * The home page, from loadStatusPage(…, { audience, now, history }): the public page by
 * default, the internal one with `INTERNAL_VIEW` (and data loaded for the internal audience).
 */
export function buildHomeView(data: StatusPageData, now: Date, options: ViewOptions = PUBLIC_VIEW): HomeView {
  const chrome = pageChrome(data.settings, options.language);
  const overall = overallStatus(
    data.components.map((c) => c.status),
    {
      activeMaintenance: data.activeMaintenances.length > 0,
      unresolvedIncidentImpacts: data.unresolvedIncidents.map((i) => i.impact),
    },
  );
  const bars = buildUptimeBars(data.components, data.history ?? [], {
    now,
    timeZone: chrome.timeZone,
    locale: chrome.locale,
    lang: chrome.lang,
  });
  const componentItem = (c: ComponentView, inInternalGroup = false): ComponentItem => ({
    id: c.id,
    name: c.name,
    internal: c.visibility === 'internal' || inInternalGroup,
    description: c.description?.trim() || null,
    badge: componentBadge(c.status, chrome.lang),
    bars: bars.get(c.id) ?? null,
    feedHref: componentFeedHref(c.id),
  });

  const items: HomeItem[] = [];
  for (const item of data.items) {
    if (item.type === 'component') {
      if (isComponentShown(item.component)) items.push({ type: 'component', component: componentItem(item.component) });
      continue;
    }
    const shown = item.group.components.filter(isComponentShown);
    if (shown.length === 0) continue;
    const internal = item.group.visibility === 'internal';
    items.push({
      type: 'group',
      group: {
        id: item.group.id,
        name: item.group.name,
        internal,
        description: item.group.description?.trim() || null,
        badge: componentBadge(item.group.status, chrome.lang),
        open: groupIsOpen(item.group),
        components: shown.map((c) => componentItem(c, internal)),
      },
    });
  }

  const since = now.getTime() - RECENT_PAST_DAYS * DAY_MS;
  const pastIncidents = data.recentIncidents
    .filter((i) => isClosed(i.status) && (i.resolvedAt ?? i.startedAt).getTime() >= since)
    .slice(0, RECENT_PAST_LIMIT);

  const item = (i: IncidentView) => incidentItem(i, chrome, now, options);
  return {
    chrome,
    audience: options.audience,
    homeHref: homeHref(options),
    banner: {
      description: overallText(overall.description, chrome.lang),
      tone: impactTone(overall.indicator),
      icon: impactIcon(overall.indicator),
      updated: timeView(data.updatedAt, chrome),
    },
    activeIncidents: data.unresolvedIncidents.map(item),
    activeMaintenances: data.activeMaintenances.map(item),
    upcomingMaintenances: data.upcomingMaintenances.map(item),
    pastIncidents: pastIncidents.map(item),
    items,
    hasBars: bars.size > 0,
    uptimeDays: UPTIME_DAYS,
  };
}

// ---------------------------------------------------------------------------
// History

export type HistoryPageParam = { ok: true; page: number } | { ok: false; reason: 'empty' | 'invalid' };

/**
 * `?page=`: absent → 1; a whole number 1..MAX_HISTORY_PAGE → itself; empty → 'empty' (the
 * page redirects to the canonical URL); anything else → 'invalid' (400, never a 500).
 */
export function parseHistoryPage(raw: string | null): HistoryPageParam {
  if (raw === null) return { ok: true, page: 1 };
  if (raw.trim() === '') return { ok: false, reason: 'empty' };
  if (!/^[1-9]\d{0,5}$/.test(raw)) return { ok: false, reason: 'invalid' };
  const page = Number(raw);
  return page <= MAX_HISTORY_PAGE ? { ok: true, page } : { ok: false, reason: 'invalid' };
}

export type MonthRange = {
  /** 'YYYY-MM'. */
  key: string;
  /** "November 2026". */
  label: string;
  /** First instant of the month in the page's zone. */
  from: Date;
  /** First instant of the next month. */
  to: Date;
};

/**
 * The calendar months of history page `page`, newest first: page 1 is the current month (in
 * `timeZone`) and the two before it, page 2 the three before those, and so on.
 */
export function historyMonths(page: number, now: Date, timeZone: string, locale = 'en'): MonthRange[] {
  const today = zonedParts(now, timeZone);
  const months: MonthRange[] = [];
  for (let i = 0; i < MONTHS_PER_PAGE; i++) {
    const back = (page - 1) * MONTHS_PER_PAGE + i;
    // Date.UTC normalises month underflow, walking back across years.
    const first = new Date(Date.UTC(today.year, today.month - 1 - back, 1));
    const next = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 1));
    const year = first.getUTCFullYear();
    const month = first.getUTCMonth() + 1;
    months.push({
      key: `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`,
      label: monthLabel(first, locale),
      from: startOfZonedDay(year, month, 1, timeZone),
      to: startOfZonedDay(next.getUTCFullYear(), next.getUTCMonth() + 1, 1, timeZone),
    });
  }
  return months;
}

/** The [from, to) instant range a history page covers, for loadIncidentsBetween. */
export function historyRange(months: readonly MonthRange[]): { from: Date; to: Date } {
  return { from: months[months.length - 1].from, to: months[0].to };
}

function monthLabel(firstOfMonthUtc: Date, locale: string): string {
  return new Intl.DateTimeFormat(locale, { timeZone: 'UTC', year: 'numeric', month: 'long' }).format(firstOfMonthUtc);
}

export type HistoryView = {
  chrome: PageChrome;
  page: number;
  months: { key: string; label: string; incidents: IncidentItem[] }[];
  newerHref: string | null;
  olderHref: string | null;
};

export function historyHref(page: number): string {
  return page <= 1 ? '/history' : `/history?page=${page}`;
}

/** Groups the page's incidents by the month they started (in the page's zone) and works out the pager. */
export function buildHistoryView(input: {
  chrome: PageChrome;
  page: number;
  months: readonly MonthRange[];
  incidents: readonly IncidentView[];
  oldest: Date | null;
  now: Date;
}): HistoryView {
  const { chrome } = input;
  const byMonth = new Map<string, IncidentItem[]>(input.months.map((m) => [m.key, []]));
  for (const incident of input.incidents) {
    byMonth.get(monthKey(incident.startedAt, chrome.timeZone))?.push(incidentItem(incident, chrome, input.now));
  }
  const { from } = historyRange(input.months);
  const hasOlder = input.oldest !== null && input.oldest < from && input.page < MAX_HISTORY_PAGE;
  return {
    chrome,
    page: input.page,
    months: input.months.map((m) => ({ key: m.key, label: m.label, incidents: byMonth.get(m.key) ?? [] })),
    newerHref: input.page > 1 ? historyHref(input.page - 1) : null,
    olderHref: hasOlder ? historyHref(input.page + 1) : null,
  };
}
