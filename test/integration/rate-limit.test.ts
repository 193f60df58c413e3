import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hitRateLimit, resetRateLimit } from '../../src/server/rate-limit.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe('hitRateLimit', () => {
  const rule = { limit: 3, windowSeconds: 60 };
  const at = (s: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, s));

  it('allows up to the limit in a window, then says how long to wait', async () => {
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await hitRateLimit(t.handle.db, 'a', rule, at(i * 10)));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false]);
    expect(results[4].retryAfterSeconds).toBe(20);
  });

  it('starts a new window once the old one has passed', async () => {
    const r = await hitRateLimit(t.handle.db, 'a', rule, at(61));
    expect(r).toMatchObject({ allowed: true, count: 1 });
  });

  it('counts keys apart and forgets a reset key', async () => {
    for (let i = 0; i < 4; i++) await hitRateLimit(t.handle.db, 'b', rule, at(0));
    expect((await hitRateLimit(t.handle.db, 'c', rule, at(0))).allowed).toBe(true);
    await resetRateLimit(t.handle.db, 'b');
    expect(await hitRateLimit(t.handle.db, 'b', rule, at(1))).toMatchObject({ allowed: true, count: 1 });
  });
});
