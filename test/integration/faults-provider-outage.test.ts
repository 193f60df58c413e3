/**
 * Fault (c): Resend answers 500, then 429 with `retry-after`, for a minute, then recovers.
 *
 * The minute is on the worker's clock: every pass runs with an injected `now`, and the test
 * moves that clock straight to the next moment a delivery is due (the earliest
 * `next_attempt_at`), which is exactly when a running loop would retry it. The stand-in
 * decides its answer from the same clock: 500 for the first 30 s, 429 with `retry-after: 7`
 * for the next 30 s, normal answers after that. So the whole minute takes a second of real
 * time, and the schedule the worker kept can be checked to the millisecond.
 */
import { tmpdir } from 'node:os';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.ts';
import { emailDeliveries } from '../../src/db/schema/index.ts';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { createIncident } from '../../src/server/incidents/service.ts';
import { createMailer } from '../../src/server/notify/mailer.ts';
import { runWorkerOnce } from '../../src/server/notify/worker.ts';
import { backoffMs } from '../../src/server/outbox/backoff.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startResendStandIn, type ResendStandIn } from '../helpers/resend-stand-in.ts';
import { seedScenario } from '../helpers/scenario.ts';
import { addSubscribers } from '../helpers/subscribers.ts';

const SITE = 'https://status.example.com';
const FROM = 'Acme <status@example.com>';
const SUBSCRIBERS = 250;
const OUTAGE_500_MS = 30_000;
const OUTAGE_MS = 60_000;
const RETRY_AFTER_S = 7;

describe('fault: the email provider answers 500 then 429 for a minute', () => {
  let t: TestDatabase;
  let resend: ResendStandIn;
  const previous = process.env.RESEND_BASE_URL;

  beforeAll(async () => {
    resend = await startResendStandIn();
    process.env.RESEND_BASE_URL = resend.url;
    t = await createTestDatabase();
    const s = await seedScenario(t.handle.db);
    // The scenario's own updates, fanned out while nobody is subscribed.
    const sink = createMailer({ dataDir: tmpdir(), from: FROM });
    while ((await runWorkerOnce(t.handle.db, { mailer: sink, siteUrl: SITE })).outboxRows > 0);
    await addSubscribers(
      t.handle.db,
      Array.from({ length: SUBSCRIBERS }, (_, i) => ({ email: `outage${i}@example.com` })),
    );
    await createIncident(t.handle.db, SYSTEM_ACTOR, {
      name: 'CDN outage',
      status: 'investigating',
      severity: 1,
      body: 'Looking into it.',
      components: { [s.components.cdn.id]: 'major_outage' },
    });
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env.RESEND_BASE_URL;
    else process.env.RESEND_BASE_URL = previous;
    await resend?.close();
    await t?.drop();
  });

  it('delivers every email exactly once afterwards, retrying on the backoff and waiting each retry-after', async () => {
    const db = t.handle.db;
    const mailer = createMailer({ apiKey: 're_test_123', dataDir: tmpdir(), from: FROM });
    const start = new Date();
    let now = start;
    const elapsed = () => now.getTime() - start.getTime();
    // What the provider saw, on the worker's clock.
    const seen: { at: number; key: string | null; status: number }[] = [];
    resend.outage(({ idempotencyKey }) => {
      const answer =
        elapsed() < OUTAGE_500_MS
          ? ({ status: 500 } as const)
          : elapsed() < OUTAGE_MS
            ? ({ status: 429, retryAfter: RETRY_AFTER_S } as const)
            : null;
      seen.push({ at: elapsed(), key: idempotencyKey, status: answer?.status ?? 200 });
      return answer;
    });

    for (let pass = 0; ; pass++) {
      expect(pass, 'passes before everything was delivered').toBeLessThan(200);
      const r = await runWorkerOnce(db, { mailer, siteUrl: SITE, now });
      const [next] = await queryRows<{ due: string | null; left: number }>(
        db,
        sql`select min(next_attempt_at) as due, count(*)::int as left from email_deliveries
          where status in ('pending', 'sending')`,
      );
      if (Number(next.left) === 0) break;
      // Nothing due now (every batch waits): the clock jumps to the next due moment.
      if (r.claimed === 0) now = new Date(Math.max(now.getTime() + 1, new Date(next.due!).getTime()));
    }

    expect(resend.accepted.size).toBe(SUBSCRIBERS);
    expect(resend.duplicates()).toEqual([]);
    const rows = await db.select().from(emailDeliveries);
    expect(rows.filter((r) => r.status !== 'sent')).toEqual([]);
    // Both kinds of refusal really happened, and nothing was accepted during the minute.
    expect(seen.some((x) => x.status === 500)).toBe(true);
    expect(seen.some((x) => x.status === 429)).toBe(true);
    expect(seen.filter((x) => x.status === 200).every((x) => x.at >= OUTAGE_MS)).toBe(true);

    // Per batch (one idempotency key each, kept across its retries): after a 500, the next
    // try waits the backoff of the attempts counted so far; after a 429, exactly its
    // retry-after, without counting an attempt.
    const keys = new Set(seen.map((x) => x.key));
    expect(keys.size).toBe(Math.ceil(SUBSCRIBERS / 100));
    for (const key of keys) {
      const tries = seen.filter((x) => x.key === key);
      expect(tries.at(-1)!.status, key!).toBe(200);
      let counted = 0;
      for (let i = 1; i < tries.length; i++) {
        const gap = tries[i].at - tries[i - 1].at;
        if (tries[i - 1].status === 500) {
          counted++;
          expect(gap, `${key} try ${i}`).toBeGreaterThanOrEqual(backoffMs(counted));
        } else {
          expect(gap, `${key} try ${i}`).toBe(RETRY_AFTER_S * 1000);
        }
      }
      // Delivered within one retry-after of the provider coming back.
      expect(tries.at(-1)!.at).toBeLessThan(OUTAGE_MS + RETRY_AFTER_S * 1000);
    }
    // Attempts count the 500s only (4 by the backoff 2+4+8+16 s < 30 s, plus the success).
    expect(new Set(rows.map((r) => r.attempts))).toEqual(new Set([5]));
    resend.outage(null);
  });
});
