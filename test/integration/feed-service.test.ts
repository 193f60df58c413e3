import Parser from 'rss-parser';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPublicFeed } from '../../src/server/feed/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { INTERNAL_MARKER, seedScenario } from '../helpers/scenario.ts';

const SITE = 'https://status.example.com';
let t: TestDatabase;
let s: Awaited<ReturnType<typeof seedScenario>>;
let queries = 0;

beforeAll(async () => {
  t = await createTestDatabase({ logger: { logQuery: () => void queries++ } });
  s = await seedScenario(t.handle.db);
});
afterAll(() => t.drop());

async function feedOf(componentId?: string) {
  const xml = await renderPublicFeed(t.handle.db, { siteUrl: SITE, componentId });
  expect(xml).not.toBeNull();
  expect(XMLValidator.validate(xml!)).toBe(true);
  return { xml: xml!, feed: await new Parser().parseString(xml!) };
}

const incidentOf = (link: string | undefined) => link!.slice(`${SITE}/incidents/`.length);

describe('renderPublicFeed', () => {
  it('lists every public update of public incidents and maintenances, newest first', async () => {
    const { xml, feed } = await feedOf();
    expect(xml).not.toContain(INTERNAL_MARKER);
    expect(feed.title).toBe('Vigie');
    expect(feed.items.map((i) => i.title)).toEqual([
      'Elevated API error rates — Identified',
      'Elevated API error rates — Investigating',
      'Database upgrade — Scheduled',
      'Dashboard unavailable — Resolved',
      'Dashboard unavailable — Investigating',
    ]);
    const ids = new Set(feed.items.map((i) => incidentOf(i.link)));
    expect(ids).toEqual(new Set([s.incidents.active.id, s.incidents.resolved.id, s.incidents.maintenance.id]));
    expect(new Set(feed.items.map((i) => i.guid)).size).toBe(feed.items.length);
    const dates = feed.items.map((i) => Date.parse(i.isoDate!));
    expect([...dates].sort((a, b) => b - a)).toEqual(dates);
  });

  it('leaves out the internal update, the internal incident and internal components', async () => {
    const { xml, feed } = await feedOf();
    expect(feed.items.map((i) => incidentOf(i.link))).not.toContain(s.incidents.internal.id);
    expect(xml).not.toContain('Root cause');
    expect(xml).not.toContain(s.components.secretComponent.id);
    // The first update changed REST API (public) and the internal component: only REST API is named.
    const opening = feed.items.find((i) => i.title === 'Elevated API error rates — Investigating')!;
    expect(opening.content).toContain('Affected: REST API (Partial outage)');
    expect(opening.content).not.toContain('Billing');
  });

  it('keeps a component feed to the updates of incidents that affect that component', async () => {
    const { xml, feed } = await feedOf(s.components.rest.id);
    expect(xml).not.toContain(INTERNAL_MARKER);
    expect(feed.title).toBe('Vigie — REST API');
    expect(xml).toContain(`${SITE}/components/${s.components.rest.id}/feed.rss`);
    expect(new Set(feed.items.map((i) => incidentOf(i.link)))).toEqual(
      new Set([s.incidents.active.id, s.incidents.maintenance.id]),
    );
    expect(feed.items).toHaveLength(3);

    const dashboard = await feedOf(s.components.dashboard.id);
    expect(new Set(dashboard.feed.items.map((i) => incidentOf(i.link)))).toEqual(new Set([s.incidents.resolved.id]));
  });

  it('gives a public component with no incidents a valid empty feed', async () => {
    // The CDN's only incident is internal.
    const { xml, feed } = await feedOf(s.components.cdn.id);
    expect(feed.items).toEqual([]);
    expect(xml).not.toContain(INTERNAL_MARKER);
  });

  it('refuses internal, hidden, unknown and malformed component ids', async () => {
    const db = t.handle.db;
    for (const id of [s.components.secretComponent.id, s.components.hiddenChild.id, 'zzzzzzzzzzzz', '']) {
      expect(await renderPublicFeed(db, { siteUrl: SITE, componentId: id })).toBeNull();
    }
    const before = queries;
    for (const id of ['\u0000..', 'a'.repeat(500), "x' or 1=1 --", 'ABC', '../feed']) {
      expect(await renderPublicFeed(db, { siteUrl: SITE, componentId: id })).toBeNull();
    }
    expect(queries).toBe(before);
  });

  it('is stable between two renders of the same data', async () => {
    expect((await feedOf()).xml).toBe((await feedOf()).xml);
  });
});
