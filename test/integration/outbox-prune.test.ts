import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { outbox } from '../../src/db/schema/index.ts';
import { createComponent } from '../../src/server/components/service.ts';
import { enqueue, pruneOutbox } from '../../src/server/outbox/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

test('a snapshot invalidation is recorded as processed at commit: no worker ever waits on it', async () => {
  const db = t.handle.db;
  await createComponent(db, { type: 'system', name: 'test' }, { name: 'API' });
  const rows = await db
    .select()
    .from(outbox)
    .where(sql`${outbox.topic} = 'snapshot.invalidate'`);
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) expect(row.processedAt).not.toBeNull();
});

test('pruneOutbox deletes invalidation records older than a day, and nothing else', async () => {
  const db = t.handle.db;
  await db.execute(sql`delete from outbox`);
  await db.transaction(async (tx) => {
    await enqueue(tx, 'snapshot.invalidate', {});
    await enqueue(tx, 'snapshot.invalidate', {});
    await enqueue(tx, 'subscriber.confirm', { subscriberId: 'sub_x' } as never);
  });
  // One invalidation and the confirmation are two days old; the other invalidation is new.
  await db.execute(
    sql`update outbox set created_at = now() - interval '2 days' where id in (select min(id) from outbox union select max(id) from outbox)`,
  );
  expect(await pruneOutbox(db)).toBe(1);
  const left = await db.select({ topic: outbox.topic }).from(outbox).orderBy(outbox.id);
  expect(left.map((r) => r.topic)).toEqual(['snapshot.invalidate', 'subscriber.confirm']);
});
