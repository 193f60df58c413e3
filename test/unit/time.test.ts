import { describe, expect, it } from 'vitest';
import {
  dateKey,
  formatDateTime,
  formatDuration,
  isValidTimeZone,
  monthKey,
  parseMonthKey,
  startOfZonedDay,
  zonedParts,
} from '../../src/domain/time.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('formatDateTime', () => {
  it('formats with the English abbreviation of the zone', () => {
    expect(formatDateTime(new Date('2026-11-25T13:03:00Z'), 'Europe/Paris')).toBe('Nov 25, 2026, 14:03 CET');
    expect(formatDateTime(new Date('2026-07-01T13:03:00Z'), 'Europe/Paris')).toBe('Jul 1, 2026, 15:03 CEST');
    expect(formatDateTime(new Date('2026-11-25T13:03:00Z'), 'America/New_York')).toBe('Nov 25, 2026, 08:03 EST');
    expect(formatDateTime(new Date('2026-07-01T08:00:00Z'), 'Europe/London')).toBe('Jul 1, 2026, 09:00 BST');
    expect(formatDateTime(new Date('2026-11-25T13:03:00Z'), 'UTC')).toBe('Nov 25, 2026, 13:03 UTC');
  });

  it('uses a 24-hour clock, midnight as 00', () => {
    expect(formatDateTime(new Date('2026-11-24T23:30:00Z'), 'Europe/Paris')).toBe('Nov 25, 2026, 00:30 CET');
  });

  it('falls back to the GMT offset when no English region abbreviates the zone', () => {
    expect(formatDateTime(new Date('2026-11-25T13:03:00Z'), 'Asia/Tokyo')).toBe('Nov 25, 2026, 22:03 GMT+9');
  });

  it('follows the requested locale, keeping its own zone name', () => {
    const fr = formatDateTime(new Date('2026-11-25T13:03:00Z'), 'Europe/Paris', 'fr');
    expect(fr).toContain('25 nov. 2026');
    expect(fr).toContain('14:03');
    expect(fr).toMatch(/UTC\+1|CET/);
    expect(formatDateTime(new Date('2026-11-25T13:03:00Z'), 'Europe/Paris', 'en-GB')).toBe('25 Nov 2026, 14:03 CET');
  });

  it('throws on an unknown zone', () => {
    expect(() => formatDateTime(new Date(), 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '< 1 min'],
    [59_999, '< 1 min'],
    [MIN, '1 min'],
    [45 * MIN + 59_000, '45 min'],
    [HOUR, '1 h'],
    [2 * HOUR + 15 * MIN, '2 h 15 min'],
    [23 * HOUR + 59 * MIN, '23 h 59 min'],
    [DAY, '1 d'],
    [3 * DAY + 4 * HOUR + 30 * MIN, '3 d 4 h'],
    [3 * DAY + 59 * MIN, '3 d'],
    [400 * DAY, '400 d'],
  ])('%i ms → %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });

  it('reads negative and non-finite input as zero', () => {
    expect(formatDuration(-5 * MIN)).toBe('< 1 min');
    expect(formatDuration(Number.NaN)).toBe('< 1 min');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('< 1 min');
  });
});

describe('isValidTimeZone', () => {
  it('accepts IANA names and UTC', () => {
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Etc/GMT+5')).toBe(true);
  });

  it('rejects junk, empty strings and fixed offsets', () => {
    expect(isValidTimeZone('Europe/Pariss')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(isValidTimeZone('  ')).toBe(false);
    expect(isValidTimeZone('+01:00')).toBe(false);
    expect(isValidTimeZone('-05:00')).toBe(false);
    expect(isValidTimeZone('CET CEST')).toBe(false);
  });
});

describe('monthKey / dateKey', () => {
  it('uses the calendar of the zone, not UTC', () => {
    const newYearInParis = new Date('2026-12-31T23:30:00Z');
    expect(monthKey(newYearInParis, 'Europe/Paris')).toBe('2027-01');
    expect(monthKey(newYearInParis, 'UTC')).toBe('2026-12');
    expect(monthKey(newYearInParis, 'America/Los_Angeles')).toBe('2026-12');
    expect(dateKey(newYearInParis, 'Europe/Paris')).toBe('2027-01-01');
    expect(dateKey(newYearInParis, 'UTC')).toBe('2026-12-31');
  });

  it('pads month and day', () => {
    expect(monthKey(new Date('2026-03-05T12:00:00Z'), 'UTC')).toBe('2026-03');
    expect(dateKey(new Date('2026-03-05T12:00:00Z'), 'UTC')).toBe('2026-03-05');
  });
});

describe('parseMonthKey', () => {
  it('parses a valid key', () => {
    expect(parseMonthKey('2026-11')).toEqual({ year: 2026, month: 11 });
    expect(parseMonthKey('2026-01')).toEqual({ year: 2026, month: 1 });
    expect(parseMonthKey('1999-12')).toEqual({ year: 1999, month: 12 });
  });

  it.each([
    '2026-13',
    '2026-00',
    '26-1',
    '2026-1',
    'abc',
    '',
    '2026-11-01',
    ' 2026-11',
    '2026-11 ',
    '2026/11',
    '0000-05',
    '+2026-11',
  ])('rejects %j', (key) => {
    expect(parseMonthKey(key)).toBeNull();
  });

  it('round-trips with monthKey', () => {
    const key = monthKey(new Date('2026-11-25T12:00:00Z'), 'Europe/Paris');
    expect(parseMonthKey(key)).toEqual({ year: 2026, month: 11 });
  });
});

describe('zonedParts / startOfZonedDay', () => {
  it('reads wall-clock fields with a 0-23 hour', () => {
    expect(zonedParts(new Date('2026-11-24T23:05:09Z'), 'Europe/Paris')).toEqual({
      year: 2026,
      month: 11,
      day: 25,
      hour: 0,
      minute: 5,
      second: 9,
    });
  });

  it('finds local midnight in ordinary days, both sides of UTC', () => {
    expect(startOfZonedDay(2026, 11, 25, 'Europe/Paris').toISOString()).toBe('2026-11-24T23:00:00.000Z');
    expect(startOfZonedDay(2026, 7, 1, 'Europe/Paris').toISOString()).toBe('2026-06-30T22:00:00.000Z');
    expect(startOfZonedDay(2026, 11, 25, 'America/New_York').toISOString()).toBe('2026-11-25T05:00:00.000Z');
    expect(startOfZonedDay(2026, 11, 25, 'Asia/Kolkata').toISOString()).toBe('2026-11-24T18:30:00.000Z');
    expect(startOfZonedDay(2026, 11, 25, 'UTC').toISOString()).toBe('2026-11-25T00:00:00.000Z');
  });

  it('normalises out-of-range days (day 0 = last day of the previous month)', () => {
    expect(startOfZonedDay(2026, 3, 0, 'UTC').toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(startOfZonedDay(2026, 12, 32, 'UTC').toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('handles DST days in Europe/Paris: 23 and 25 hours long', () => {
    const spring = startOfZonedDay(2026, 3, 29, 'Europe/Paris').getTime();
    const springNext = startOfZonedDay(2026, 3, 30, 'Europe/Paris').getTime();
    expect((springNext - spring) / HOUR).toBe(23);
    const autumn = startOfZonedDay(2026, 10, 25, 'Europe/Paris').getTime();
    const autumnNext = startOfZonedDay(2026, 10, 26, 'Europe/Paris').getTime();
    expect((autumnNext - autumn) / HOUR).toBe(25);
  });

  it('starts the day at the transition when DST skips midnight (America/Santiago)', () => {
    // 2022-09-11: clocks jumped from 00:00 to 01:00 local (-04 → -03).
    const start = startOfZonedDay(2022, 9, 11, 'America/Santiago');
    expect(start.toISOString()).toBe('2022-09-11T04:00:00.000Z');
    expect(zonedParts(start, 'America/Santiago')).toMatchObject({ day: 11, hour: 1, minute: 0 });
    expect(zonedParts(start.getTime() - 1000, 'America/Santiago')).toMatchObject({ day: 10, hour: 23, minute: 59 });
  });

  it('starts the day at the first midnight when DST repeats it', () => {
    // America/Havana 2024-11-03: clocks went back from 01:00 to 00:00 (-04 → -05), so
    // 00:xx happened twice; the day begins at the first one.
    const start = startOfZonedDay(2024, 11, 3, 'America/Havana');
    expect(start.toISOString()).toBe('2024-11-03T04:00:00.000Z');
    expect(zonedParts(start.getTime() - 1000, 'America/Havana').day).toBe(2);
  });

  it('gives a skipped calendar day zero length (Samoa, 2011-12-30)', () => {
    const d30 = startOfZonedDay(2011, 12, 30, 'Pacific/Apia').getTime();
    const d31 = startOfZonedDay(2011, 12, 31, 'Pacific/Apia').getTime();
    expect(d31 - d30).toBe(0);
  });
});
