import { describe, expect, it } from 'vitest';
import type { ComponentStatus } from '../../src/domain/enums.ts';
import {
  computeUptime,
  dayWindows,
  formatUptime,
  UPTIME_WEIGHTS,
  type StatusChange,
  type UptimeDay,
} from '../../src/domain/uptime.ts';

const HOUR = 3_600_000;
const PARIS = 'Europe/Paris';

const at = (iso: string) => new Date(iso);
const ev = (status: ComponentStatus, iso: string): StatusChange => ({ status, at: at(iso) });
const LONG_AGO = at('2020-01-01T00:00:00Z');

function day(days: UptimeDay[], date: string): UptimeDay {
  const d = days.find((x) => x.date === date);
  if (!d) throw new Error(`no day ${date} in ${days[0]?.date}..${days.at(-1)?.date}`);
  return d;
}

describe('UPTIME_WEIGHTS', () => {
  it('counts major outage fully, partial outage 30%, the rest as up', () => {
    expect(UPTIME_WEIGHTS).toEqual({
      operational: 0,
      under_maintenance: 0,
      degraded_performance: 0,
      partial_outage: 0.3,
      major_outage: 1,
    });
  });
});

describe('dayWindows', () => {
  it('returns consecutive calendar days, oldest first, ending with today in the zone', () => {
    const now = at('2026-11-24T23:30:00Z'); // already Nov 25 in Paris
    const w = dayWindows(now, PARIS, 3);
    expect(w.map((d) => d.date)).toEqual(['2026-11-23', '2026-11-24', '2026-11-25']);
    expect(w[2].start.toISOString()).toBe('2026-11-24T23:00:00.000Z');
    for (let i = 1; i < w.length; i++) expect(w[i].start.getTime()).toBe(w[i - 1].end.getTime());
    expect(w[2].start.getTime()).toBeLessThanOrEqual(now.getTime());
    expect(w[2].end.getTime()).toBeGreaterThan(now.getTime());
  });

  it('defaults to 90 days and crosses month and year ends', () => {
    const w = dayWindows(at('2026-01-15T12:00:00Z'), 'UTC');
    expect(w).toHaveLength(90);
    expect(w[0].date).toBe('2025-10-18');
    expect(w.at(-1)!.date).toBe('2026-01-15');
    expect(new Set(w.map((d) => d.date)).size).toBe(90);
  });

  it('makes DST days 23 and 25 hours long in Europe/Paris', () => {
    const spring = dayWindows(at('2026-03-30T10:00:00Z'), PARIS, 3);
    expect(spring.map((d) => [d.date, (d.end.getTime() - d.start.getTime()) / HOUR])).toEqual([
      ['2026-03-28', 24],
      ['2026-03-29', 23],
      ['2026-03-30', 24],
    ]);
    const autumn = dayWindows(at('2026-10-26T10:00:00Z'), PARIS, 2);
    expect(autumn.map((d) => [d.date, (d.end.getTime() - d.start.getTime()) / HOUR])).toEqual([
      ['2026-10-25', 25],
      ['2026-10-26', 24],
    ]);
  });

  it('handles 0 and 1 days and rejects nonsense', () => {
    expect(dayWindows(at('2026-01-15T12:00:00Z'), 'UTC', 0)).toEqual([]);
    expect(dayWindows(at('2026-01-15T12:00:00Z'), 'UTC', 1).map((d) => d.date)).toEqual(['2026-01-15']);
    expect(() => dayWindows(at('2026-01-15T12:00:00Z'), 'UTC', -1)).toThrow(RangeError);
    expect(() => dayWindows(at('2026-01-15T12:00:00Z'), 'UTC', 2.5)).toThrow(RangeError);
  });
});

describe('computeUptime', () => {
  it('shows no data everywhere for an empty history', () => {
    const r = computeUptime({ history: [], createdAt: LONG_AGO, now: at('2026-05-10T12:00:00Z'), timeZone: PARIS });
    expect(r.days).toHaveLength(90);
    expect(r.uptime).toBeNull();
    for (const d of r.days) {
      expect(d.status).toBe('no_data');
      expect(d.uptime).toBeNull();
      expect(d.observedSeconds).toBe(0);
      expect(d.outageSeconds).toEqual({ partial: 0, major: 0 });
    }
  });

  it('carries a status set before the window through every day', () => {
    const now = at('2026-05-10T12:00:00Z');
    const r = computeUptime({
      history: [ev('operational', '2025-01-01T00:00:00Z')],
      createdAt: LONG_AGO,
      now,
      timeZone: PARIS,
    });
    expect(r.uptime).toBe(1);
    expect(r.days.every((d) => d.status === 'operational' && d.uptime === 1)).toBe(true);
    // Observed time is the whole window up to now, not beyond.
    const observed = r.days.reduce((s, d) => s + d.observedSeconds, 0);
    expect(observed).toBe((now.getTime() - r.days[0].start.getTime()) / 1000);
  });

  it('counts a 2-hour major outage across the spring DST change against a 23-hour day', () => {
    // 2026-03-29 in Paris: 01:00 CET (00:00Z) → 04:00 CEST (02:00Z) is two real hours.
    const r = computeUptime({
      history: [
        ev('operational', '2026-01-01T00:00:00Z'),
        ev('major_outage', '2026-03-29T00:00:00Z'),
        ev('operational', '2026-03-29T02:00:00Z'),
      ],
      createdAt: LONG_AGO,
      now: at('2026-03-30T10:00:00Z'),
      timeZone: PARIS,
      days: 3,
    });
    const dst = day(r.days, '2026-03-29');
    expect(dst.status).toBe('major_outage');
    expect(dst.outageSeconds).toEqual({ partial: 0, major: 7200 });
    expect(dst.observedSeconds).toBe(23 * 3600);
    expect(dst.uptime).toBeCloseTo(1 - 2 / 23, 12);
    expect(day(r.days, '2026-03-28')).toMatchObject({ status: 'operational', uptime: 1 });
    expect(day(r.days, '2026-03-30')).toMatchObject({ status: 'operational', uptime: 1 });
    // Whole range: 24 h + 23 h + 12 h (today until now at 12:00 CEST) observed, 2 h down.
    expect(r.uptime).toBeCloseTo(1 - 2 / (24 + 23 + 12), 12);
  });

  it('counts a 2-hour outage across the autumn DST change against a 25-hour day', () => {
    // 2026-10-25 in Paris: 02:00 CEST (00:00Z) → 02:00 CET (01:00Z) → 03:00 CET (02:00Z).
    const r = computeUptime({
      history: [
        ev('operational', '2026-01-01T00:00:00Z'),
        ev('major_outage', '2026-10-25T00:00:00Z'),
        ev('operational', '2026-10-25T02:00:00Z'),
      ],
      createdAt: LONG_AGO,
      now: at('2026-10-26T23:00:00Z'), // the first second of Oct 27 in Paris
      timeZone: PARIS,
      days: 3,
    });
    const dst = day(r.days, '2026-10-25');
    expect(dst.observedSeconds).toBe(25 * 3600);
    expect(dst.uptime).toBeCloseTo(1 - 2 / 25, 12);
    // Today has started just now: no observed time yet.
    expect(day(r.days, '2026-10-27')).toMatchObject({ status: 'no_data', uptime: null, observedSeconds: 0 });
  });

  it('splits an outage across midnight into the two calendar days of the zone', () => {
    // 22:00 → 02:00 Paris time (CET, UTC+1).
    const history = [
      ev('operational', '2026-01-01T00:00:00Z'),
      ev('major_outage', '2026-02-10T21:00:00Z'),
      ev('operational', '2026-02-11T01:00:00Z'),
    ];
    const now = at('2026-02-12T12:00:00Z');
    const paris = computeUptime({ history, createdAt: LONG_AGO, now, timeZone: PARIS, days: 3 });
    expect(day(paris.days, '2026-02-10').outageSeconds.major).toBe(2 * 3600);
    expect(day(paris.days, '2026-02-11').outageSeconds.major).toBe(2 * 3600);
    expect(day(paris.days, '2026-02-12').status).toBe('operational');
    // In UTC the same outage is 21:00 → 01:00: 3 h then 1 h.
    const utc = computeUptime({ history, createdAt: LONG_AGO, now, timeZone: 'UTC', days: 3 });
    expect(day(utc.days, '2026-02-10').outageSeconds.major).toBe(3 * 3600);
    expect(day(utc.days, '2026-02-11').outageSeconds.major).toBe(1 * 3600);
  });

  it('weights partial outage at 30% and counts degraded performance and maintenance as up', () => {
    const r = computeUptime({
      history: [
        ev('partial_outage', '2026-02-10T00:00:00Z'),
        ev('degraded_performance', '2026-02-10T10:00:00Z'),
        ev('under_maintenance', '2026-02-10T12:00:00Z'),
        ev('operational', '2026-02-10T14:00:00Z'),
      ],
      createdAt: LONG_AGO,
      now: at('2026-02-11T00:00:00Z'),
      timeZone: 'UTC',
      days: 2,
    });
    const d = day(r.days, '2026-02-10');
    expect(d.status).toBe('partial_outage');
    expect(d.outageSeconds).toEqual({ partial: 10 * 3600, major: 0 });
    expect(d.uptime).toBeCloseTo(1 - (0.3 * 10) / 24, 12);
    expect(day(r.days, '2026-02-11')).toMatchObject({ status: 'no_data', uptime: null }); // now = its first instant
    expect(r.uptime).toBeCloseTo(d.uptime!, 12);
  });

  it('reports the worst status of the day even when it does not lower uptime', () => {
    const r = computeUptime({
      history: [
        ev('operational', '2026-02-01T00:00:00Z'),
        ev('under_maintenance', '2026-02-10T01:00:00Z'),
        ev('degraded_performance', '2026-02-10T03:00:00Z'),
        ev('operational', '2026-02-10T04:00:00Z'),
      ],
      createdAt: LONG_AGO,
      now: at('2026-02-11T12:00:00Z'),
      timeZone: 'UTC',
      days: 2,
    });
    expect(day(r.days, '2026-02-10')).toMatchObject({ status: 'degraded_performance', uptime: 1 });
  });

  it('shows no data before a component created mid-window and counts only its observed part', () => {
    const createdAt = at('2026-02-10T12:00:00Z');
    const r = computeUptime({
      history: [ev('major_outage', '2026-02-10T12:00:00Z'), ev('operational', '2026-02-10T18:00:00Z')],
      createdAt,
      now: at('2026-02-12T12:00:00Z'),
      timeZone: 'UTC',
      days: 5,
    });
    expect(r.days.map((d) => d.status)).toEqual(['no_data', 'no_data', 'major_outage', 'operational', 'operational']);
    expect(day(r.days, '2026-02-08').uptime).toBeNull();
    const created = day(r.days, '2026-02-10');
    expect(created.observedSeconds).toBe(12 * 3600);
    expect(created.uptime).toBeCloseTo(0.5, 12); // 6 h down of the 12 h it existed, not of 24 h
    expect(r.uptime).toBeCloseTo(1 - 6 / (12 + 24 + 12), 12);
  });

  it('ignores history from before the component was created', () => {
    const r = computeUptime({
      history: [ev('major_outage', '2026-02-01T00:00:00Z'), ev('operational', '2026-02-10T12:00:00Z')],
      createdAt: at('2026-02-10T00:00:00Z'),
      now: at('2026-02-11T00:00:00Z'),
      timeZone: 'UTC',
      days: 3,
    });
    expect(r.days.map((d) => d.status)).toEqual(['no_data', 'major_outage', 'no_data']);
    expect(day(r.days, '2026-02-10').uptime).toBeCloseTo(0.5, 12);
  });

  it('treats time after creation but before the first event as unknown', () => {
    const r = computeUptime({
      history: [ev('operational', '2026-02-10T06:00:00Z')],
      createdAt: at('2026-02-01T00:00:00Z'),
      now: at('2026-02-11T12:00:00Z'),
      timeZone: 'UTC',
      days: 3,
    });
    expect(r.days.map((d) => d.status)).toEqual(['no_data', 'operational', 'operational']);
    expect(day(r.days, '2026-02-10').observedSeconds).toBe(18 * 3600);
  });

  it('clips today to now, with an outage still ongoing', () => {
    const now = at('2026-02-10T12:00:00Z');
    const r = computeUptime({
      history: [ev('operational', '2026-01-01T00:00:00Z'), ev('major_outage', '2026-02-10T09:00:00Z')],
      createdAt: LONG_AGO,
      now,
      timeZone: 'UTC',
      days: 2,
    });
    const today = day(r.days, '2026-02-10');
    expect(today.end.toISOString()).toBe('2026-02-11T00:00:00.000Z'); // the calendar end, not now
    expect(today.observedSeconds).toBe(12 * 3600);
    expect(today.outageSeconds.major).toBe(3 * 3600);
    expect(today.uptime).toBeCloseTo(0.75, 12);
    expect(r.uptime).toBeCloseTo(1 - 3 / 36, 12);
  });

  it('ignores events in the future', () => {
    const r = computeUptime({
      history: [ev('operational', '2026-01-01T00:00:00Z'), ev('major_outage', '2026-02-10T18:00:00Z')],
      createdAt: LONG_AGO,
      now: at('2026-02-10T12:00:00Z'),
      timeZone: 'UTC',
      days: 1,
    });
    expect(r.days[0]).toMatchObject({ status: 'operational', uptime: 1, outageSeconds: { partial: 0, major: 0 } });
  });

  it('sorts unsorted history, and a later event at the same instant wins', () => {
    const r = computeUptime({
      history: [
        ev('operational', '2026-02-10T06:00:00Z'),
        ev('partial_outage', '2026-02-10T00:00:00Z'),
        ev('major_outage', '2026-02-10T00:00:00Z'),
      ],
      createdAt: LONG_AGO,
      now: at('2026-02-10T23:59:59Z'),
      timeZone: 'UTC',
      days: 1,
    });
    // The partial_outage lasted zero seconds: not seen, not counted.
    expect(r.days[0].status).toBe('major_outage');
    expect(r.days[0].outageSeconds).toEqual({ partial: 0, major: 6 * 3600 });
    expect(r.days[0].uptime).toBeCloseTo(1 - 6 / (24 - 1 / 3600), 12);
  });

  it('skips events with an invalid date', () => {
    const r = computeUptime({
      history: [ev('major_outage', 'not a date'), ev('operational', '2026-02-09T00:00:00Z')],
      createdAt: LONG_AGO,
      now: at('2026-02-10T12:00:00Z'),
      timeZone: 'UTC',
      days: 1,
    });
    expect(r.days[0]).toMatchObject({ status: 'operational', uptime: 1 });
  });

  it('gives the same result with precomputed windows', () => {
    const now = at('2026-03-30T10:00:00Z');
    const history = [
      ev('operational', '2026-01-01T00:00:00Z'),
      ev('partial_outage', '2026-03-01T08:00:00Z'),
      ev('operational', '2026-03-02T09:30:00Z'),
    ];
    const a = computeUptime({ history, createdAt: LONG_AGO, now, timeZone: PARIS });
    const b = computeUptime({
      history,
      createdAt: LONG_AGO,
      now,
      timeZone: PARIS,
      windows: dayWindows(now, PARIS, 90),
    });
    expect(b).toEqual(a);
    expect(a.days.filter((d) => d.status === 'partial_outage').map((d) => d.date)).toEqual([
      '2026-03-01',
      '2026-03-02',
    ]);
  });

  it('returns no days and null uptime for days = 0', () => {
    expect(
      computeUptime({
        history: [ev('operational', '2026-01-01T00:00:00Z')],
        createdAt: LONG_AGO,
        now: at('2026-02-10T12:00:00Z'),
        timeZone: 'UTC',
        days: 0,
      }),
    ).toEqual({ days: [], uptime: null });
  });

  it('stays fast for a long, busy history', () => {
    const history: StatusChange[] = [];
    const start = at('2025-11-01T00:00:00Z').getTime();
    for (let i = 0; i < 5000; i++)
      history.push({ status: i % 2 ? 'operational' : 'partial_outage', at: new Date(start + i * 30 * 60_000) });
    const t0 = performance.now();
    const r = computeUptime({ history, createdAt: LONG_AGO, now: at('2026-02-10T12:00:00Z'), timeZone: PARIS });
    expect(performance.now() - t0).toBeLessThan(500);
    // Alternating 30-minute slots from Nov 1: half the observed time was a partial outage.
    expect(r.uptime).toBeGreaterThan(0.84);
    expect(r.uptime).toBeLessThan(0.86);
  });
});

describe('formatUptime', () => {
  it.each([
    [1, '100%'],
    [0.9995, '99.95%'],
    [0.99996, '99.99%'],
    [0.999999999, '99.99%'],
    [0.5, '50.00%'],
    [0.12345, '12.34%'],
    [0.0001, '0.01%'],
    [0.00009, '0.00%'],
    [0, '0.00%'],
  ])('%d → %s', (fraction, expected) => {
    expect(formatUptime(fraction)).toBe(expected);
  });

  it('never rounds up to 100% when there was downtime', () => {
    for (const f of [0.99995, 0.999951, 0.9999999, 1 - Number.EPSILON]) expect(formatUptime(f)).toBe('99.99%');
  });

  it('shows "No data" for null and NaN', () => {
    expect(formatUptime(null)).toBe('No data');
    expect(formatUptime(Number.NaN)).toBe('No data');
  });

  it('clamps out-of-range input', () => {
    expect(formatUptime(1.2)).toBe('100%');
    expect(formatUptime(-0.1)).toBe('0.00%');
  });
});
