/**
 * The public HTML pages, rendered by the built server over the seeded scenario: what each
 * page must show, the statuses of the error cases, and that nothing internal ever leaks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_MARKER } from '../helpers/scenario.ts';
import { startScenarioServer, type TestServer } from '../helpers/server.ts';

let app: Awaited<ReturnType<typeof startScenarioServer>>;
let s: Awaited<ReturnType<typeof startScenarioServer>>['scenario'];
let server: TestServer;

beforeAll(async () => {
  app = await startScenarioServer();
  ({ server, scenario: s } = app);
});
afterAll(() => app?.stop());

async function get(path: string): Promise<{ status: number; type: string | null; html: string; res: Response }> {
  const res = await fetch(server.url + path, { redirect: 'manual' });
  const html = await res.text();
  // Every page, error pages included, is checked for leaks.
  expect(html, path).not.toContain(INTERNAL_MARKER);
  return { status: res.status, type: res.headers.get('content-type'), html, res };
}

/** The text of an HTML fragment, tags dropped and whitespace collapsed, for content assertions. */
function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

describe('the home page', () => {
  it('shows the banner, the active incident, the groups and the uptime', async () => {
    const { status, type, html } = await get('/');
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/html/);
    const words = text(html);
    // REST API is in partial outage, one component of four.
    expect(words).toContain('Minor Service Outage');
    expect(words).toContain('Elevated API error rates');
    expect(html).toContain(`href="/incidents/${s.incidents.active.id}"`);
    expect(words).toContain('API');
    expect(words).toContain('Website');
    expect(words).toContain('REST API');
    expect(words).toContain('Partial outage');
    expect(html).toMatch(/<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z">/);
    expect(html).toContain('<link rel="alternate" type="application/rss+xml"');
    expect(html).toContain('href="/feed.rss"');
    expect(html).toContain('href="/history"');
    expect(words).toMatch(/\d+(\.\d\d)?% uptime/);
    expect(html).toMatch(/aria-label="REST API: \d+(\.\d\d)?% uptime over the last 90 days/);
    expect(html).toContain('<html lang="en"');
  });

  it('draws the 90 days of a component as a few runs, a tooltip each, and lists the notable days for screen readers', async () => {
    const { html } = await get('/');
    const svg = /<svg class="bars" role="img" aria-label="REST API: [^"]*"[^>]*>(.*?)<\/svg>/.exec(html)?.[1] ?? '';
    const runs = [...svg.matchAll(/<path class="tone-(\w+)" d="M(\d+) 17h(\d+)"><title>([^<]+)<\/title><\/path>/g)];
    expect(runs.length).toBeGreaterThan(0);
    expect(svg.replace(/<path[^>]*><title>[^<]*<\/title><\/path>/g, '')).toBe('');
    // Far fewer elements than days, and the runs' dashes cover the 90 days end to end.
    expect(runs.length).toBeLessThan(20);
    expect(Number(runs.at(-1)![2]) + Number(runs.at(-1)![3])).toBe(90 * 5 - 2);
    // Today: REST API is in partial outage, its own run with its own tooltip, and in the list.
    const today = runs.at(-1)!;
    expect(today[1]).toBe('partial');
    expect(today[4]).toMatch(/: partial outage for .+, \d+(\.\d\d)?% uptime$/);
    expect(html).toContain(`<li>${today[4]}</li>`);
  });

  it('shows the public updates of the active incident with rendered Markdown, and the upcoming maintenance', async () => {
    const { html } = await get('/');
    expect(html).toContain('<strong>elevated error rates</strong>');
    expect(text(html)).toContain('The issue has been identified and a fix is being implemented.');
    expect(text(html)).toContain('Database upgrade');
    expect(text(html)).toContain('Scheduled maintenance');
  });

  it('hides internal groups and components', async () => {
    const { html } = await get('/');
    expect(html).not.toContain(s.groups.secretGroup.id);
    expect(html).not.toContain(s.components.secretComponent.id);
  });
});

describe('the incident page', () => {
  it('shows an active incident with both public updates and not the internal one', async () => {
    const { status, html } = await get(`/incidents/${s.incidents.active.id}`);
    expect(status).toBe(200);
    const words = text(html);
    expect(words).toContain('Elevated API error rates');
    expect(words).toContain('Major impact');
    expect(words).toContain('Ongoing');
    expect(html).toContain('<strong>elevated error rates</strong>');
    expect(words).toContain('The issue has been identified and a fix is being implemented.');
    expect(words).not.toContain('database failover');
    // Affected public components with their status, and their feeds announced.
    expect(words).toContain('REST API');
    expect(words).toContain('Webhooks');
    expect(html).toContain(`href="/components/${s.components.rest.id}/feed.rss"`);
    expect(html).toMatch(/<time datetime="[^"]+Z">/);
  });

  it('shows a resolved incident with its duration', async () => {
    const { status, html } = await get(`/incidents/${s.incidents.resolved.id}`);
    expect(status).toBe(200);
    const words = text(html);
    expect(words).toContain('Dashboard unavailable');
    expect(words).toContain('Resolved');
    expect(words).toContain('2 h');
    expect(words).toContain('The dashboard is available again.');
  });

  it('shows a maintenance with its scheduled window', async () => {
    const { status, html } = await get(`/incidents/${s.incidents.maintenance.id}`);
    expect(status).toBe(200);
    expect(text(html)).toContain('Scheduled window');
  });

  it.each([
    ['an internal incident', () => `/incidents/${s.incidents.internal.id}`],
    ['an unknown id', () => '/incidents/nope'],
    ['a malformed id', () => '/incidents/%3Cscript%3E'],
    ['an overlong id', () => `/incidents/${'a'.repeat(300)}`],
  ])('answers 404 for %s, with the friendly page', async (_, path) => {
    const { status, type, html } = await get(path());
    expect(status).toBe(404);
    expect(type).toMatch(/^text\/html/);
    expect(text(html)).toContain('We could not find that page');
    expect(html).not.toContain('<script>');
  });
});

describe('the history page', () => {
  it('lists past incidents by month, newest first', async () => {
    const { status, html } = await get('/history');
    expect(status).toBe(200);
    const words = text(html);
    expect(words).toContain('Incident history');
    expect(words).toContain('Dashboard unavailable');
    expect(html).toContain(`href="/incidents/${s.incidents.resolved.id}"`);
    expect(html.match(/class="month-title"/g)).toHaveLength(3);
    // The scenario's oldest incident is last week: nothing older to offer.
    expect(html).not.toContain('rel="next"');
  });

  it('shows empty months on later pages, with a link back', async () => {
    const { status, html } = await get('/history?page=2');
    expect(status).toBe(200);
    expect(text(html)).toContain('No incidents reported');
    expect(html).toContain('href="/history"');
  });

  it.each(['0', 'abc', '-1', '1.5', '1201', '99999999999999999999', '%00'])('answers 400 for page=%s', async (page) => {
    const { status, type, html } = await get(`/history?page=${page}`);
    expect(status).toBe(400);
    expect(type).toMatch(/^text\/html/);
    // A NUL is refused for the whole address before the page reads it (src/middleware.ts).
    expect(text(html)).toContain(page === '%00' ? 'contains a NUL character' : 'page number must be a whole number');
  });

  it('redirects an empty page number to the first page', async () => {
    const { status, res } = await get('/history?page=');
    expect(status).toBe(302);
    expect(new URL(res.headers.get('location')!, server.url).pathname).toBe('/history');
  });
});

describe('error pages', () => {
  it('answers an unknown path with the 404 page in the page frame', async () => {
    const { status, html } = await get('/no/such/page');
    expect(status).toBe(404);
    expect(text(html)).toContain('We could not find that page');
    expect(html).toContain('href="/feed.rss"');
  });
});
