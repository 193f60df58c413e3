/**
 * Time zone aware formatting and calendar arithmetic, built on Intl only (no date
 * library). Pure: every function takes the instant it works on; nothing reads the clock.
 */

/** Wall-clock fields of an instant in a time zone (month and day are 1-based). */
export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// Building an Intl.DateTimeFormat costs far more than using one, and uptime bars
// need a few hundred conversions per page: keep one formatter per zone/locale.
const partsFormatters = new Map<string, Intl.DateTimeFormat>();
const displayFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    partsFormatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock fields of `date` in `timeZone` (throws RangeError on an unknown zone). */
export function zonedParts(date: Date | number, timeZone: string): ZonedParts {
  const out: ZonedParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of partsFormatter(timeZone).formatToParts(date)) {
    if (
      p.type === 'year' ||
      p.type === 'month' ||
      p.type === 'day' ||
      p.type === 'hour' ||
      p.type === 'minute' ||
      p.type === 'second'
    ) {
      out[p.type] = Number(p.value);
    }
  }
  return out;
}

// The zone's wall clock at `t`, expressed as if it were UTC, to the second.
function wallClockMs(t: number, timeZone: string): number {
  const p = zonedParts(t, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
}

function offsetMs(t: number, timeZone: string): number {
  return wallClockMs(t, timeZone) - Math.floor(t / SECOND) * SECOND;
}

/**
 * First instant of the calendar date `year-month-day` in `timeZone`. Usually local
 * midnight; when a DST change skips or repeats midnight it is the transition instant
 * (skipped) or the first of the two midnights (repeated).
 */
export function startOfZonedDay(year: number, month: number, day: number, timeZone: string): Date {
  const target = Date.UTC(year, month - 1, day);
  // Two passes settle the offset for every instant that is not next to a transition.
  let t = target - offsetMs(target, timeZone);
  t = target - offsetMs(t, timeZone);
  if (wallClockMs(t, timeZone) >= target && wallClockMs(t - SECOND, timeZone) < target) return new Date(t);
  // Midnight itself was skipped or repeated: the wall clock never goes backwards by a
  // whole day, so "local date >= target" is monotonic and a binary search (in whole
  // seconds, transitions never fall between seconds) finds the first instant.
  let lo = Math.floor((target - 2 * DAY) / SECOND);
  let hi = Math.ceil((target + 2 * DAY) / SECOND);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallClockMs(mid * SECOND, timeZone) >= target) hi = mid;
    else lo = mid;
  }
  return new Date(hi * SECOND);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Calendar date of `date` in `timeZone` as 'YYYY-MM-DD'. */
export function dateKey(date: Date | number, timeZone: string): string {
  const p = zonedParts(date, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** Calendar month of `date` in `timeZone` as 'YYYY-MM' (for monthly history pages). */
export function monthKey(date: Date | number, timeZone: string): string {
  const p = zonedParts(date, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}`;
}

/** Parses a 'YYYY-MM' month key; null for anything else ('2026-13', '26-1', '2026-1'). */
export function parseMonthKey(key: string): { year: number; month: number } | null {
  const m = /^(\d{4})-(\d{2})$/.exec(key);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (year < 1 || month < 1 || month > 12) return null;
  return { year, month };
}

/** True for an IANA zone name Intl knows ('Europe/Paris', 'UTC'); false for offsets and junk. */
export function isValidTimeZone(timeZone: string): boolean {
  // Recent engines accept '+01:00' as a zone, but a fixed offset silently ignores DST,
  // which is exactly what a status page configured for a region must not do.
  if (typeof timeZone !== 'string' || timeZone.trim() === '' || /^[+\-−]/.test(timeZone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

function displayFormatter(locale: string, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale}\u0000${timeZone}`;
  let f = displayFormatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      timeZone,
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    displayFormatters.set(key, f);
  }
  return f;
}

// CLDR gives an English zone abbreviation only to the region that uses it (CET in
// en-GB, EST in en-US, AEST in en-AU...), so plain 'en' shows "GMT+1" for Paris.
// Readers recognise the abbreviation better, so English asks these regions in turn.
const ENGLISH_REGIONS = ['en-US', 'en-GB', 'en-AU', 'en-CA', 'en-NZ', 'en-IE', 'en-IN', 'en-ZA', 'en-SG'];
const OFFSET_NAME = /^(GMT|UTC)[+\-−]/;

function zoneName(date: Date, timeZone: string, locale: string): string {
  const own = timeZoneNameIn(date, timeZone, locale);
  if (!OFFSET_NAME.test(own) || !/^en(-|$)/i.test(locale)) return own;
  for (const region of ENGLISH_REGIONS) {
    const name = timeZoneNameIn(date, timeZone, region);
    if (!OFFSET_NAME.test(name)) return name;
  }
  return own;
}

function timeZoneNameIn(date: Date, timeZone: string, locale: string): string {
  return (
    displayFormatter(locale, timeZone)
      .formatToParts(date)
      .find((p) => p.type === 'timeZoneName')?.value ?? ''
  );
}

/** Date and time with zone abbreviation, e.g. "Nov 25, 2026, 14:03 CET" (24-hour clock). */
export function formatDateTime(date: Date, timeZone: string, locale = 'en'): string {
  const name = zoneName(date, timeZone, locale);
  return displayFormatter(locale, timeZone)
    .formatToParts(date)
    .map((p) => (p.type === 'timeZoneName' ? name : p.value))
    .join('');
}

/**
 * Human duration, floored to the minute: "< 1 min", "45 min", "2 h 15 min", "3 d 4 h".
 * Past a day minutes are noise, so they are dropped. Negative or non-finite input reads as 0.
 */
export function formatDuration(ms: number, lang: 'en' | 'fr' = 'en'): string {
  // French writes a day "j" (jour); hours and minutes are the same symbols.
  const d = lang === 'fr' ? 'j' : 'd';
  const total = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / MINUTE) : 0;
  if (total < 1) return '< 1 min';
  const days = Math.floor(total / (24 * 60));
  const hours = Math.floor((total % (24 * 60)) / 60);
  const minutes = total % 60;
  if (days > 0) return hours > 0 ? `${days} ${d} ${hours} h` : `${days} ${d}`;
  if (hours > 0) return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
  return `${minutes} min`;
}
