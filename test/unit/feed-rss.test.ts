import { XMLParser, XMLValidator } from 'fast-xml-parser';
import Parser from 'rss-parser';
import { describe, expect, it } from 'vitest';
import { buildFeed, FEED_LIMIT, feedUrl } from '../../src/server/feed/rss.ts';
import type { FeedEntry } from '../../src/server/status-page/queries.ts';

const SITE = 'https://status.example.com';
const T0 = new Date('2026-03-02T10:00:00Z');

let seq = 0;
function entry(overrides: {
  incidentId?: string;
  name?: string;
  kind?: FeedEntry['incident']['kind'];
  status?: FeedEntry['update']['status'];
  body?: string;
  at?: Date;
  affected?: FeedEntry['update']['affected'];
}): FeedEntry {
  seq++;
  const at = overrides.at ?? new Date(T0.getTime() + seq * 60_000);
  const incidentId = overrides.incidentId ?? 'inc000000001';
  const kind = overrides.kind ?? 'incident';
  const status = overrides.status ?? 'investigating';
  return {
    incident: {
      id: incidentId,
      name: overrides.name ?? 'Elevated API error rates',
      kind,
      status,
      impact: kind === 'maintenance' ? 'maintenance' : 'major',
    },
    update: {
      id: `upd${String(seq).padStart(9, '0')}`,
      incidentId,
      status,
      body: overrides.body ?? 'We are **investigating**.',
      audience: 'public',
      notify: false,
      displayAt: at,
      createdAt: at,
      updatedAt: at,
      affected: overrides.affected ?? [],
    },
  };
}

async function parse(xml: string) {
  expect(XMLValidator.validate(xml, { allowBooleanAttributes: false })).toBe(true);
  return new Parser().parseString(xml);
}

describe('buildFeed', () => {
  const first = entry({ status: 'investigating', body: 'We are investigating.', at: new Date('2026-03-02T10:00:00Z') });
  const second = entry({
    status: 'identified',
    body: 'The cause is **known**.',
    at: new Date('2026-03-02T11:30:00Z'),
    affected: [
      { componentId: 'cmp000000001', name: 'REST API', oldStatus: 'operational', newStatus: 'partial_outage' },
    ],
  });
  const maintenance = entry({
    incidentId: 'mnt000000001',
    name: 'Database upgrade',
    kind: 'maintenance',
    status: 'in_progress',
    body: 'Upgrading.',
    at: new Date('2026-03-01T08:00:00Z'),
  });

  it('builds a valid RSS 2.0 channel from the updates, newest first', async () => {
    const xml = buildFeed({
      siteUrl: SITE,
      pageName: 'Acme Status',
      language: 'en',
      entries: [first, maintenance, second],
    });
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(xml).toContain('<rss ');
    expect(xml).toContain('version="2.0"');
    expect(xml).toContain(`<atom:link href="${SITE}/feed.rss" rel="self" type="application/rss+xml"/>`);
    expect(xml).toContain('<language><![CDATA[en]]></language>');
    expect(xml).toContain('<lastBuildDate>Mon, 02 Mar 2026 11:30:00 GMT</lastBuildDate>');
    expect(xml).toContain('<pubDate>Mon, 02 Mar 2026 11:30:00 GMT</pubDate>');

    const feed = await parse(xml);
    expect(feed.title).toBe('Acme Status');
    expect(feed.link).toBe(`${SITE}/`);
    expect(feed.description).toContain('Acme Status');
    expect(feed.items.map((i) => i.title)).toEqual([
      'Elevated API error rates — Identified',
      'Elevated API error rates — Investigating',
      'Database upgrade — In progress',
    ]);
    expect(feed.items.map((i) => i.link)).toEqual([
      `${SITE}/incidents/inc000000001`,
      `${SITE}/incidents/inc000000001`,
      `${SITE}/incidents/mnt000000001`,
    ]);
    expect(feed.items.map((i) => i.guid)).toEqual([
      `${SITE}/incidents/inc000000001#update-${second.update.id}`,
      `${SITE}/incidents/inc000000001#update-${first.update.id}`,
      `${SITE}/incidents/mnt000000001#update-${maintenance.update.id}`,
    ]);
    expect(feed.items.map((i) => i.isoDate)).toEqual([
      '2026-03-02T11:30:00.000Z',
      '2026-03-02T10:00:00.000Z',
      '2026-03-01T08:00:00.000Z',
    ]);
    expect(feed.items[0].content).toContain('<strong>known</strong>');
    expect(feed.items[0].content).toContain('Affected: REST API (Partial outage)');
    expect(feed.items[1].content).not.toContain('Affected:');
    expect(feed.items[0].categories).toEqual(['major']);
    expect(feed.items[2].categories).toEqual(['maintenance']);
  });

  it('marks guids as non-permalinks that are unique per update and stable between builds', async () => {
    const input = { siteUrl: SITE, pageName: 'Acme', entries: [first, second, maintenance] };
    const xml = buildFeed(input);
    expect(xml).toContain('isPermaLink="false"');
    const guids = (await parse(xml)).items.map((i) => i.guid);
    expect(new Set(guids).size).toBe(3);
    // Same input, same bytes (no build clock in lastBuildDate), so ETags hold.
    expect(buildFeed(input)).toBe(xml);
    expect(buildFeed({ ...input, entries: [maintenance, second, first] })).toBe(xml);
  });

  it('titles a component feed and points its self link at the component feed', async () => {
    const xml = buildFeed({
      siteUrl: `${SITE}/`,
      pageName: 'Acme',
      entries: [second],
      component: { id: 'cmp000000001', name: 'REST API' },
    });
    const feed = await parse(xml);
    expect(feed.title).toBe('Acme — REST API');
    expect(feed.description).toContain('REST API');
    expect(xml).toContain(`href="${SITE}/components/cmp000000001/feed.rss"`);
    expect(feed.items[0].link).toBe(`${SITE}/incidents/inc000000001`);
    expect(feedUrl(`${SITE}/`, 'cmp000000001')).toBe(`${SITE}/components/cmp000000001/feed.rss`);
  });

  it('keeps only the newest FEED_LIMIT updates', async () => {
    const many = Array.from({ length: FEED_LIMIT + 7 }, (_, i) => entry({ at: new Date(T0.getTime() + i * 60_000) }));
    const feed = await parse(buildFeed({ siteUrl: SITE, pageName: 'Acme', entries: many }));
    expect(feed.items).toHaveLength(FEED_LIMIT);
    expect(feed.items[0].guid).toContain(many.at(-1)!.update.id);
    expect(feed.items.map((i) => i.guid)).not.toContainEqual(expect.stringContaining(many[0].update.id));
  });

  it('builds a valid empty feed', async () => {
    const xml = buildFeed({ siteUrl: SITE, pageName: 'Acme', entries: [] });
    const feed = await parse(xml);
    expect(feed.items).toEqual([]);
    expect(xml).not.toContain('<lastBuildDate>');
    expect(xml).not.toContain('<pubDate>');
  });

  it('drops scripts and javascript: links from the Markdown body', async () => {
    const evil = entry({
      body: 'Hello <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> <a href="JaVaScRiPt:alert(2)">y</a>',
    });
    const xml = buildFeed({ siteUrl: SITE, pageName: 'Acme', entries: [evil] });
    expect(xml).not.toMatch(/<script|&lt;script/i);
    expect(xml).not.toMatch(/javascript:/i);
    expect(xml).not.toMatch(/onerror/i);
    const feed = await parse(xml);
    expect(feed.items[0].content).toContain('Hello');
    expect(feed.items[0].content).not.toMatch(/script|javascript:|onerror/i);
  });

  it('escapes & and < in page, incident and component names and keeps CDATA closed', async () => {
    const tricky = entry({
      name: 'R&D <API> "down" ]]> here',
      body: 'Text with ]]> inside & <b>bold</b>',
      affected: [
        { componentId: 'cmp000000002', name: 'Search & <Index>', oldStatus: 'operational', newStatus: 'major_outage' },
      ],
    });
    const xml = buildFeed({
      siteUrl: SITE,
      pageName: 'Acme & Co <Status>',
      entries: [tricky],
      component: { id: 'cmp000000002', name: 'Search & <Index>' },
    });
    const feed = await parse(xml);
    expect(feed.title).toBe('Acme & Co <Status> — Search & <Index>');
    expect(feed.items[0].title).toBe('R&D <API> "down" ]]> here — Investigating');
    // The description is HTML: the component name is escaped once inside it.
    expect(feed.items[0].content).toContain('Affected: Search &#38; &#60;Index&#62; (Major outage)');
    expect(feed.items[0].content).toContain('<b>bold</b>');
  });

  it('stamps lastBuildDate with the newest update even when a name mimics the element', async () => {
    const sneaky = '<generator>Vigie</generator><lastBuildDate>Thu, 01 Jan 1970 00:00:00 GMT</lastBuildDate>';
    const xml = buildFeed({
      siteUrl: SITE,
      pageName: sneaky,
      entries: [first],
      component: { id: 'cmp000000001', name: sneaky },
    });
    const feed = await parse(xml);
    expect(feed.title).toBe(`${sneaky} — ${sneaky}`);
    expect(xml.match(/<lastBuildDate>Mon, 02 Mar 2026 10:00:00 GMT<\/lastBuildDate>/g)).toHaveLength(1);
    expect(xml).toContain('<generator>Vigie</generator><lastBuildDate>Mon, 02 Mar 2026 10:00:00 GMT</lastBuildDate>');
    expect(xml).not.toMatch(/vigie-[0-9a-f]{18}/);
  });

  it('strips characters XML 1.0 forbids, so a stray control character cannot break the document', async () => {
    const xml = buildFeed({
      siteUrl: SITE,
      pageName: 'Acme\u0000',
      entries: [entry({ name: 'Bad\u0001\u001b name\uFFFF', body: 'x\u0008y' })],
    });
    const feed = await parse(xml);
    expect(feed.title).toBe('Acme');
    expect(feed.items[0].title).toBe('Bad name — Investigating');
  });

  it('parses into the same structure with fast-xml-parser', () => {
    const xml = buildFeed({ siteUrl: SITE, pageName: 'Acme', entries: [first] });
    const doc = new XMLParser({ ignoreAttributes: false }).parse(xml);
    expect(doc.rss['@_version']).toBe('2.0');
    expect(doc.rss.channel.item.guid['@_isPermaLink']).toBe('false');
    expect(doc.rss.channel.ttl).toBe(1);
  });
});
