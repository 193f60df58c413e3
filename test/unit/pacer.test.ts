import { describe, expect, it } from 'vitest';
import { createPacer, rateLimitFromHeaders } from '../../src/server/notify/pacer.ts';
import { matchIds, MailerError } from '../../src/server/notify/mailer.ts';

/** A pacer on a fake clock: sleeping advances the clock; `starts` are the slot times. */
function fakePacer(rate: number) {
  let clock = 1_000_000;
  const pacer = createPacer({
    rate,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  });
  const starts: number[] = [];
  return {
    pacer,
    advance: (ms: number) => (clock += ms),
    async take(n: number) {
      for (let i = 0; i < n; i++) {
        await pacer.acquire();
        starts.push(clock);
      }
      return starts;
    },
    starts,
  };
}

describe('pacer', () => {
  it('spaces slots 1/rate apart', async () => {
    const p = fakePacer(20);
    const starts = await p.take(5);
    expect(starts.map((t) => t - starts[0])).toEqual([0, 50, 100, 150, 200]);
  });

  it('gives concurrent callers distinct slots', async () => {
    let clock = 0;
    const woke: number[] = [];
    const pacer = createPacer({ rate: 4, now: () => clock, sleep: async (ms) => void woke.push(clock + ms) });
    await Promise.all([pacer.acquire(), pacer.acquire(), pacer.acquire()]);
    expect(woke).toEqual([250, 500]);
  });

  it('takes a slot missed by less than an interval, but makes up no idle time', async () => {
    const p = fakePacer(10);
    await p.take(1);
    p.advance(130); // the next slot was due at +100
    await p.take(1);
    expect(p.starts[1] - p.starts[0]).toBe(130);
    await p.take(1);
    expect(p.starts[2] - p.starts[1]).toBe(70); // back on the +100 grid
    p.advance(5_000);
    const starts = await p.take(3);
    expect(starts.slice(3).map((t) => t - starts[3])).toEqual([0, 100, 200]);
  });

  it('pauses for retry-after and for an exhausted window, capped', async () => {
    const p = fakePacer(10);
    await p.take(1);
    p.pacer.pause(3_000);
    await p.take(1);
    expect(p.starts[1] - p.starts[0]).toBe(3_000);
    p.pacer.observe({ remaining: 0, resetMs: 1_000 });
    await p.take(1);
    expect(p.starts[2] - p.starts[1]).toBe(1_000);
    p.pacer.observe({ remaining: 5, resetMs: 1_000 });
    await p.take(1);
    expect(p.starts[3] - p.starts[2]).toBe(100);
    p.pacer.pause(3_600_000);
    await p.take(1);
    expect(p.starts[4] - p.starts[3]).toBe(60_000);
  });

  it('refuses a rate of 0', () => {
    expect(() => createPacer({ rate: 0 })).toThrow(/above 0/);
  });
});

describe('rateLimitFromHeaders', () => {
  it('reads Resend’s ratelimit headers and retry-after, in any case', () => {
    expect(rateLimitFromHeaders({ 'RateLimit-Remaining': '0', 'ratelimit-reset': '2', 'retry-after': '3' })).toEqual({
      rateLimit: { remaining: 0, resetMs: 2_000 },
      retryAfterSeconds: 3,
    });
    expect(rateLimitFromHeaders({ 'content-type': 'application/json' })).toEqual({
      rateLimit: null,
      retryAfterSeconds: null,
    });
    expect(rateLimitFromHeaders(null)).toEqual({ rateLimit: null, retryAfterSeconds: null });
  });

  it('takes an HTTP-date retry-after', () => {
    const at = Date.parse('2026-11-25T12:00:00Z');
    expect(rateLimitFromHeaders({ 'retry-after': 'Wed, 25 Nov 2026 12:00:30 GMT' }, at).retryAfterSeconds).toBe(30);
    expect(rateLimitFromHeaders({ 'retry-after': 'soon' }, at).retryAfterSeconds).toBeNull();
  });
});

describe('matchIds (Resend permissive batch answers)', () => {
  it('spreads the ids over the emails not refused', () => {
    expect(matchIds(4, [{ id: 'a' }, { id: 'b' }, { id: 'c' }], [{ index: 2, message: 'bad to' }])).toEqual({
      ids: ['a', 'b', null, 'c'],
      errors: [{ index: 2, message: 'bad to' }],
    });
    expect(matchIds(2, [{ id: 'a' }, { id: 'b' }], [])).toEqual({ ids: ['a', 'b'], errors: [] });
  });

  it('refuses an answer that does not add up', () => {
    expect(() => matchIds(3, [{ id: 'a' }], [])).toThrow(MailerError);
    expect(() => matchIds(2, [{ id: 'a' }], [{ index: 5, message: 'x' }])).toThrow(/every email/);
  });
});
