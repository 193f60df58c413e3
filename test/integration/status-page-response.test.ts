/**
 * The staff-only response data (roles, links, impact assessment, recap, post-mortem) in the
 * read model: the public loaders never even select those columns, the published post-mortem
 * is read only once published, and the internal loaders read it in a constant number of
 * queries, with the role holders' names.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidents } from '../../src/db/schema/index.ts';
import { createIncident } from '../../src/server/incidents/service.ts';
import {
  loadHistoryPage,
  loadHomePage,
  loadIncidentPage,
  loadInternalHomePage,
  loadInternalIncidentPage,
} from '../../src/server/status-page/pages.ts';
import { loadFeedEntries, loadPublishedPostmortem, loadStatusPage } from '../../src/server/status-page/queries.ts';
import { createUser } from '../../src/server/users/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { INTERNAL_MARKER, seedScenario } from '../helpers/scenario.ts';

const actor = { type: 'system' as const, name: 'test' };
const sql: string[] = [];
let t: TestDatabase;
let s: Awaited<ReturnType<typeof seedScenario>>;
const now = new Date();

/** Columns only staff surfaces may read. */
const STAFF_COLUMNS = [
  'chat_url',
  'video_url',
  'ticket_url',
  'incident_manager_id',
  'tech_lead_id',
  'comms_lead_id',
  'impact_customer',
  'impact_visible',
  'impact_scope',
  'impact_started_at',
  'support_cases',
  'impact_factors',
  'recap',
];

beforeAll(async () => {
  t = await createTestDatabase({ logger: { logQuery: (q) => void sql.push(q) } });
  const db = t.handle.db;
  s = await seedScenario(db, now);
  const ana = await createUser(db, actor, {
    email: 'ana@example.com',
    name: 'Ana',
    role: 'responder',
    password: 'x'.repeat(12),
  });
  const bo = await createUser(db, actor, { email: 'bo@example.com', role: 'responder', password: 'x'.repeat(12) });
  await db
    .update(incidents)
    .set({
      incidentManagerId: ana.id,
      commsLeadId: bo.id,
      chatUrl: 'https://chat.example.com/c',
      impactCustomer: `Impact ${INTERNAL_MARKER}`,
      recap: `Recap ${INTERNAL_MARKER}`,
      postmortem: `Draft ${INTERNAL_MARKER}`,
    })
    .where(eq(incidents.id, s.incidents.active.id));
  await db
    .update(incidents)
    .set({ postmortem: 'Published text', postmortemPublishedAt: now })
    .where(eq(incidents.id, s.incidents.resolved.id));
});
afterAll(() => t.drop());

async function queriesOf<T>(fn: () => Promise<T>): Promise<{ result: T; queries: string[] }> {
  const before = sql.length;
  const result = await fn();
  return { result, queries: sql.slice(before) };
}

describe('the public loaders', () => {
  it('never select a staff-only column, nor a post-mortem that is not published', async () => {
    const db = t.handle.db;
    const loads: [string, () => Promise<unknown>][] = [
      ['home', () => loadHomePage(db, now)],
      ['active incident', () => loadIncidentPage(db, s.incidents.active.id, now)],
      ['resolved incident', () => loadIncidentPage(db, s.incidents.resolved.id, now)],
      ['history', () => loadHistoryPage(db, 1, now)],
      ['api', () => loadStatusPage(db, { audience: 'public', now })],
      ['feed', () => loadFeedEntries(db, { audience: 'public', limit: 50 })],
    ];
    for (const [name, load] of loads) {
      const { result, queries } = await queriesOf(load);
      expect(queries.length, name).toBeGreaterThan(0);
      for (const q of queries) {
        for (const column of STAFF_COLUMNS) expect(q, `${name} selects ${column}`).not.toContain(`"${column}"`);
        expect(q, name).not.toContain('"users"');
        if (q.includes('"postmortem"')) expect(q, name).toContain('"postmortem_published_at" is not null');
      }
      expect(JSON.stringify(result), name).not.toContain(INTERNAL_MARKER);
    }
  });

  it('give the published post-mortem only', async () => {
    const db = t.handle.db;
    expect(await loadPublishedPostmortem(db, s.incidents.active.id)).toBeNull();
    expect(await loadPublishedPostmortem(db, s.incidents.resolved.id)).toEqual({
      body: 'Published text',
      publishedAt: now,
    });
    const page = await loadIncidentPage(db, s.incidents.resolved.id, now);
    expect(page?.postmortem?.published?.iso).toBe(now.toISOString());
    expect((await loadIncidentPage(db, s.incidents.active.id, now))?.postmortem).toBeNull();
    expect(Object.keys(page!)).not.toContain('response');
  });
});

describe('the internal loaders', () => {
  it('read each active incident response with the role holders, name or email', async () => {
    const view = await loadInternalHomePage(t.handle.db, now);
    const response = view.responses[s.incidents.active.id];
    expect(response.rolesLine).toBe(
      'Incident manager: Ana · Tech lead: Unassigned · Communications lead: bo@example.com',
    );
    expect(response.links).toEqual([{ label: 'Chat channel', href: 'https://chat.example.com/c' }]);
    expect(response.customerImpact).toBe(`Impact ${INTERNAL_MARKER}`);
    expect(response.postmortem?.published).toBeNull();
    // Active incidents only, not the maintenance nor the resolved one.
    expect(Object.keys(view.responses).sort()).toEqual([s.incidents.active.id, s.incidents.internal.id].sort());

    const page = await loadInternalIncidentPage(t.handle.db, s.incidents.resolved.id, now);
    expect(page?.postmortem?.published?.iso).toBe(now.toISOString());
    expect((await loadInternalIncidentPage(t.handle.db, s.incidents.maintenance.id, now))?.response).toBeNull();
  });

  it('run a constant number of queries, whatever the number of active incidents', async () => {
    const db = t.handle.db;
    const small = (await queriesOf(() => loadInternalHomePage(db, now))).queries.length;
    for (let i = 0; i < 5; i++) {
      await createIncident(db, actor, {
        name: `Extra ${i}`,
        status: 'investigating',
        severity: 3,
        body: 'Looking',
        incidentManagerId: (
          await createUser(db, actor, {
            email: `extra${i}@example.com`,
            role: 'responder',
            password: 'x'.repeat(12),
          })
        ).id,
      });
    }
    const { result, queries } = await queriesOf(() => loadInternalHomePage(db, now));
    expect(Object.keys(result.responses).length).toBe(7);
    expect(queries.length).toBe(small);
  });
});
