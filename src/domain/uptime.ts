/**
 * Uptime bars: one bar per calendar day (in the page's time zone) computed from a
 * component's status change history.
 */
import type { ComponentStatus } from './enums.ts';
import { STATUS_RANK } from './status.ts';
import { startOfZonedDay, zonedParts } from './time.ts';

/**
 * Share of time in each status that counts as downtime. As on Atlassian Statuspage, a
 * major outage is fully down and a partial outage counts 30% (it hits a subset of
 * customers); degraded performance is slow but working, and maintenance is planned
 * and announced, so both count as up.
 */
export const UPTIME_WEIGHTS: Readonly<Record<ComponentStatus, number>> = {
  operational: 0,
  under_maintenance: 0,
  degraded_performance: 0,
  partial_outage: 0.3,
  major_outage: 1,
};

/** A status change: the component is in `status` from `at` until the next change. */
export interface StatusChange {
  status: ComponentStatus;
  at: Date;
}

/** One calendar day in the page's zone: [start, end), 23 to 25 hours long around DST. */
export interface DayWindow {
  date: string;
  start: Date;
  end: Date;
}

export type DayStatus = ComponentStatus | 'no_data';

export interface UptimeDay extends DayWindow {
  /** Worst status seen during the observed part of the day. */
  status: DayStatus;
  /** Up fraction of the observed part of the day (0..1); null when nothing was observed. */
  uptime: number | null;
  /** Seconds of the day with a known status (before `now`, after creation and the first event). */
  observedSeconds: number;
  outageSeconds: { partial: number; major: number };
}

export interface UptimeResult {
  /** Oldest first; the last one is today. */
  days: UptimeDay[];
  /** Over all observed time in the range, weighted by observed seconds; null without data. */
  uptime: number | null;
}

export interface UptimeInput {
  history: readonly StatusChange[];
  createdAt: Date;
  now: Date;
  timeZone: string;
  /** Number of days ending with today (default 90). */
  days?: number;
  /** Precomputed `dayWindows(now, timeZone, days)`, to share across components of a page. */
  windows?: readonly DayWindow[];
}

const DEFAULT_DAYS = 90;

/** The last `days` calendar days in `timeZone`, oldest first, the last one containing `now`. */
export function dayWindows(now: Date, timeZone: string, days = DEFAULT_DAYS): DayWindow[] {
  if (!Number.isInteger(days) || days < 0) throw new RangeError(`days must be a non-negative integer, got ${days}`);
  const today = zonedParts(now, timeZone);
  const windows: DayWindow[] = [];
  // Date.UTC normalises day overflow/underflow, which walks the calendar for us.
  let start = startOfZonedDay(today.year, today.month, today.day - days + 1, timeZone);
  for (let i = days - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(today.year, today.month - 1, today.day - i));
    const next = new Date(Date.UTC(today.year, today.month - 1, today.day - i + 1));
    const end = startOfZonedDay(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone);
    windows.push({ date: d.toISOString().slice(0, 10), start, end });
    start = end;
  }
  return windows;
}

interface Interval {
  status: ComponentStatus;
  from: number;
  to: number;
}

// Known-status intervals, clipped to [observation start, now], sorted and disjoint.
function knownIntervals(history: readonly StatusChange[], createdAt: Date, now: Date): Interval[] {
  const events = history.filter((e) => !Number.isNaN(e.at.getTime())).sort((a, b) => a.at.getTime() - b.at.getTime());
  if (events.length === 0) return [];
  // Before the first event the status is unknown, and before creation the component
  // did not exist: neither may count as up.
  const observedFrom = Math.max(createdAt.getTime(), events[0].at.getTime());
  const until = now.getTime();
  const out: Interval[] = [];
  for (let i = 0; i < events.length; i++) {
    const from = Math.max(events[i].at.getTime(), observedFrom);
    const to = Math.min(i + 1 < events.length ? events[i + 1].at.getTime() : Infinity, until);
    if (to > from) out.push({ status: events[i].status, from, to });
  }
  return out;
}

/** Daily uptime bars and the overall uptime of one component (see UptimeInput). */
export function computeUptime(input: UptimeInput): UptimeResult {
  const windows = input.windows ?? dayWindows(input.now, input.timeZone, input.days ?? DEFAULT_DAYS);
  const intervals = knownIntervals(input.history, input.createdAt, input.now);
  const nowMs = input.now.getTime();

  let totalObserved = 0;
  let totalDown = 0;
  let first = 0;
  const days: UptimeDay[] = windows.map((w) => {
    const start = w.start.getTime();
    const end = Math.min(w.end.getTime(), nowMs);
    while (first < intervals.length && intervals[first].to <= start) first++;

    let observed = 0;
    let down = 0;
    let partial = 0;
    let major = 0;
    let worst: DayStatus = 'no_data';
    for (let i = first; i < intervals.length && intervals[i].from < end; i++) {
      const iv = intervals[i];
      const overlap = Math.min(iv.to, end) - Math.max(iv.from, start);
      if (overlap <= 0) continue;
      observed += overlap;
      down += overlap * UPTIME_WEIGHTS[iv.status];
      if (iv.status === 'partial_outage') partial += overlap;
      else if (iv.status === 'major_outage') major += overlap;
      if (worst === 'no_data' || STATUS_RANK[iv.status] > STATUS_RANK[worst]) worst = iv.status;
    }
    totalObserved += observed;
    totalDown += down;
    return {
      date: w.date,
      start: w.start,
      end: w.end,
      status: worst,
      uptime: observed > 0 ? 1 - down / observed : null,
      observedSeconds: observed / 1000,
      outageSeconds: { partial: partial / 1000, major: major / 1000 },
    };
  });

  return { days, uptime: totalObserved > 0 ? 1 - totalDown / totalObserved : null };
}

/**
 * Uptime as a percentage with two decimals, floored so that any downtime shows below
 * 100% (0.99996 → "99.99%"); exactly 1 → "100%"; null → "No data".
 */
export function formatUptime(fraction: number | null): string {
  if (fraction === null || Number.isNaN(fraction)) return 'No data';
  if (fraction >= 1) return '100%';
  if (fraction <= 0) return '0.00%';
  // Round to 1e-8 first so float noise (0.9995 * 1e4 = 9994.999…) does not floor a
  // step too far, then floor to basis points, capped below 100% when not exactly 1.
  const units = Math.round(fraction * 1e8);
  const basisPoints = Math.min(Math.floor(units / 1e4), 9999);
  return `${(basisPoints / 100).toFixed(2)}%`;
}
