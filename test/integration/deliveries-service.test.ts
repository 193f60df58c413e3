import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailDeliveries } from '../../src/db/schema/index.ts';
import { createIncident } from '../../src/server/incidents/service.ts';
import { countDeliveries } from '../../src/server/outbox/deliveries.ts';
import { createSubscriber } from '../../src/server/subscribers/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { comms } from '../helpers/principals.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe('countDeliveries', () => {
  it('counts one update’s deliveries by state', async () => {
    const db = t.handle.db;
    const { update } = await createIncident(db, comms, {
      name: 'x',
      status: 'investigating',
      severity: 3,
      body: 'x',
    });
    expect(await countDeliveries(db, update.id)).toEqual({ total: 0, pending: 0, sent: 0, failed: 0 });
    const states = ['pending', 'sending', 'sent', 'sent', 'failed', 'skipped'] as const;
    for (const [i, status] of states.entries()) {
      const s = await createSubscriber(db, comms, { email: `s${i}@example.com`, confirmed: true });
      await db
        .insert(emailDeliveries)
        .values({ messageKey: `update:${update.id}`, subscriberId: s.id, updateId: update.id, status });
    }
    expect(await countDeliveries(db, update.id)).toEqual({ total: 6, pending: 2, sent: 2, failed: 1 });
  });
});
