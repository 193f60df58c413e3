/**
 * The snapshot service's scheduling, against a real database with a render that only records
 * what it is asked for: a change never waits behind the rest of a build, not even the first.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { snapshotPaths } from '../../src/server/snapshot/builder.ts';
import { startSnapshotService } from '../../src/server/snapshot/service.ts';
import { createSnapshotStore } from '../../src/server/snapshot/store.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedScenario } from '../helpers/scenario.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await seedScenario(t.handle.db);
});
afterAll(() => t.drop());

test('a change during the first build goes out before the rest of it, and firstBuild waits for a whole one', async () => {
  const { hot, rest } = await snapshotPaths(t.handle.db, new Date());
  expect(rest.length).toBeGreaterThan(4);
  const store = createSnapshotStore();
  const log: string[] = [];
  let changed = false;
  const service = startSnapshotService({
    database: t.handle,
    store,
    log: () => {},
    refreshMs: 3_600_000,
    async render(path) {
      log.push(path);
      const isRest = rest.includes(path);
      // The first page of the rest phase: a change arrives, as if posted on another instance.
      if (isRest && !changed) {
        changed = true;
        void service.rebuild('full');
      }
      await new Promise((r) => setTimeout(r, isRest ? 40 : 1));
      return new Response(`<p>${path} ${log.length}</p>`, { status: 200 });
    },
  });
  await service.firstBuild;

  const hotAgain = log.indexOf(hot[0], log.indexOf(rest[0]));
  expect(hotAgain).toBeGreaterThan(0);
  // The first build gave way: fewer of its rest pages were rendered than there are.
  const restBeforeChange = log.slice(0, hotAgain).filter((p) => rest.includes(p)).length;
  expect(restBeforeChange).toBeLessThan(rest.length);
  // And firstBuild resolved only once every page was in the store.
  for (const path of [...hot, ...rest]) expect(store.get(path), path).toBeDefined();
  expect(service.last?.preempted).toBe(false);
  await service.stop();
});
