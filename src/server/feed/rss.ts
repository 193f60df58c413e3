/**
 * The RSS 2.0 document of public incident and maintenance updates, built with the `rss`
 * package. Pure: it takes entries already filtered for the public audience, so the routes
 * and the static export share it.
 */
import { randomBytes } from 'node:crypto';
import RSS from 'rss';
import { anyIncidentStatusLabel, componentStatusLabel } from '../../domain/status.ts';
import { renderMarkdown } from '../markdown.ts';
import type { FeedEntry } from '../status-page/queries.ts';

/** How many updates a feed holds, newest first. */
export const FEED_LIMIT = 50;

/** Minutes a reader may cache the feed (RSS `ttl`); status news goes stale fast. */
const TTL_MINUTES = 1;

export type FeedInput = {
  /** The public base URL, without a trailing slash. */
  siteUrl: string;
  pageName: string;
  /** Public updates only; any order (they are sorted newest first and cut to FEED_LIMIT). */
  entries: FeedEntry[];
  /** Set for a per-component feed. */
  component?: { id: string; name: string };
  /** BCP 47 language of the page (settings.locale). */
  language?: string;
};

/** The feed's own URL: the page feed or one component's. */
export function feedUrl(siteUrl: string, componentId?: string): string {
  const base = trimSlash(siteUrl);
  return componentId ? `${base}/components/${encodeURIComponent(componentId)}/feed.rss` : `${base}/feed.rss`;
}

/** RSS 2.0 XML for the given public updates. Deterministic: the same entries give the same bytes. */
export function buildFeed(input: FeedInput): string {
  const base = trimSlash(input.siteUrl);
  const entries = [...input.entries]
    .sort((a, b) => b.update.displayAt.getTime() - a.update.displayAt.getTime())
    .slice(0, FEED_LIMIT);
  const newest = entries[0]?.update.displayAt;
  const marker = `vigie-${randomBytes(9).toString('hex')}`;

  const feed = new RSS({
    title: input.component ? `${input.pageName} — ${input.component.name}` : input.pageName,
    description: input.component
      ? `Incident and maintenance updates for ${input.component.name} from ${input.pageName}`
      : `Incident and maintenance updates from ${input.pageName}`,
    site_url: `${base}/`,
    feed_url: feedUrl(base, input.component?.id),
    generator: marker,
    language: input.language,
    pubDate: newest,
    ttl: TTL_MINUTES,
  });

  for (const { update, incident } of entries) {
    const link = `${base}/incidents/${encodeURIComponent(incident.id)}`;
    feed.item({
      title: `${incident.name} — ${anyIncidentStatusLabel(update.status)}`,
      description: describeUpdate(update),
      url: link,
      // One item per update, and an incident has many: the incident URL alone is not unique.
      guid: `${link}#update-${encodeURIComponent(update.id)}`,
      date: update.displayAt,
      categories: [incident.impact],
    });
  }

  return stripInvalidXmlChars(withLastBuildDate(feed.xml(), marker, newest));
}

function describeUpdate(update: FeedEntry['update']): string {
  const body = renderMarkdown(update.body);
  if (update.affected.length === 0) return body;
  const affected = update.affected
    .map((a) => `${escapeHtml(a.name)} (${escapeHtml(componentStatusLabel(a.newStatus))})`)
    .join(', ');
  return `${body}<p>Affected: ${affected}</p>`;
}

/**
 * The `rss` package always stamps lastBuildDate with the current time; the newest update's
 * time is what the element means (when the content last changed) and keeps the bytes, and so
 * the ETag, stable between requests. An empty feed has no such time, so it has no element.
 * The element is found right after a generator holding a random marker, which no page or
 * component name (written before it, in CDATA) can contain.
 */
function withLastBuildDate(xml: string, marker: string, newest: Date | undefined): string {
  const from = `<generator>${marker}</generator>`;
  const start = xml.indexOf(from);
  const end = xml.indexOf('</lastBuildDate>', start) + '</lastBuildDate>'.length;
  const date = newest ? `<lastBuildDate>${newest.toUTCString()}</lastBuildDate>` : '';
  return `${xml.slice(0, start)}<generator>Vigie</generator>${date}${xml.slice(end)}`;
}

/** Control characters (from an API client, say) would make the whole document invalid XML 1.0. */
function stripInvalidXmlChars(xml: string): string {
  return xml.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
