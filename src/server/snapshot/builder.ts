/**
 * Builds the public snapshot: lists the public paths, renders each through the real pages
 * (a loopback request to this same server, marked so the snapshot does not answer it), and
 * swaps the whole set into the store at once. A rebuild runs after every change that a
 * public surface shows (a NOTIFY on the `vigie_snapshot` channel, sent at commit by
 * src/server/outbox/service.ts, so every instance on the same Postgres hears it), and on a
 * timer for what changes with time alone (maintenance windows opening, the uptime days).
 *
 * Only what renders for an anonymous visitor enters the snapshot: the loopback request
 * carries no cookie, and a path whose answer is not a plain 200 without Set-Cookie is left
 * out (Astro then answers it per request), so internal data cannot get in.
 */
import { and, desc, eq, gte, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { components, incidents } from '../../db/schema/index.ts';
import { isLang, LANGUAGES, type Lang } from '../../i18n/index.ts';
import { makeVariant, variantKey, type SnapshotEntry, type SnapshotStore, type Variant } from './store.ts';

/**
 * The paths that never depend on data to exist, cheapest first: each goes into the store as
 * soon as it is rendered, so what widgets poll (the JSON) is fresh first.
 */
export const FIXED_PATHS = [
  '/api/v2/summary.json',
  '/api/v2/status.json',
  '/api/v2/incidents/unresolved.json',
  '/api/v2/components.json',
  '/api/v2/incidents.json',
  '/api/v2/scheduled-maintenances.json',
  '/api/v2/scheduled-maintenances/upcoming.json',
  '/api/v2/scheduled-maintenances/active.json',
  '/feed.rss',
  '/badge.svg',
  '/embed.js',
  '/live.js',
  '/favicon.svg',
  '/',
  '/history',
] as const;

/** Incident pages kept in the snapshot: open ones, upcoming maintenances, and those of the last 100 days. */
const RECENT_DAYS = 100;
const MAX_INCIDENT_PAGES = 300;

/** Headers of a rendered answer that the store sets itself, or that must not be replayed. */
const DROPPED_HEADERS = new Set([
  'cache-control',
  'content-length',
  'content-encoding',
  'etag',
  'last-modified',
  'date',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'vary',
  // The render's own request id: replayed, every visitor would get the same one.
  'x-request-id',
]);

/** Renders one path as an anonymous visitor would get it: with no language preference, or in `lang`. */
export type Render = (path: string, lang?: Lang) => Promise<Response>;

/** Why a rebuild kept the previous snapshot. */
export class SnapshotBuildError extends Error {}

/**
 * Every path the snapshot should hold, from the database: `hot` are those a change or the
 * clock most likely moved (the page, the API, the main feed, open incidents and running
 * maintenances), built first; `rest` are the other incident pages and the component feeds.
 */
export async function snapshotPaths(db: Db, now: Date): Promise<{ hot: string[]; rest: string[] }> {
  const since = new Date(now.getTime() - RECENT_DAYS * 86_400_000);
  const [recent, publicComponents] = await Promise.all([
    db
      .select({ id: incidents.id, open: sql<boolean>`${isNull(incidents.resolvedAt)}` })
      .from(incidents)
      .where(
        and(
          eq(incidents.visibility, 'public'),
          or(isNull(incidents.resolvedAt), gte(incidents.resolvedAt, since), gte(incidents.startedAt, since)),
        ),
      )
      .orderBy(desc(incidents.startedAt))
      .limit(MAX_INCIDENT_PAGES),
    db.select({ id: components.id }).from(components).where(eq(components.visibility, 'public')),
  ]);
  return {
    hot: [...FIXED_PATHS, ...recent.filter((i) => i.open).map((i) => `/incidents/${i.id}`)],
    rest: [
      ...recent.filter((i) => !i.open).map((i) => `/incidents/${i.id}`),
      ...publicComponents.map((c) => `/components/${c.id}/feed.rss`),
      // A component in an internal group answers 404 and is left out.
      ...publicComponents.map((c) => `/badge.svg?component=${c.id}`),
    ],
  };
}

export type BuildResult = {
  scope: 'hot' | 'full';
  /** The rest phase gave way to a newer change (its pages stay as they were). */
  preempted: boolean;
  paths: number;
  rendered: number;
  compressed: number;
  /** Until the hot paths were in the store. */
  hotMs: number;
  ms: number;
};

/**
 * Renders the paths and puts them in the store: the hot ones first, each put in as soon as it
 * is rendered (pages that no longer render are dropped once the hot phase is done), then
 * (scope 'full') the rest, swapped in as a whole so pages that are no longer public drop out. Throws SnapshotBuildError, leaving the store as it was, when the
 * database or a fixed path fails: a half-built snapshot would show a page and an API that
 * disagree.
 */
export async function buildSnapshot(
  db: Db,
  store: SnapshotStore,
  render: Render,
  options: {
    now?: Date;
    scope?: 'hot' | 'full';
    concurrency?: number;
    /** Asked between two renders of the rest phase: true stops it, so a newer change is built first. */
    preempt?: () => boolean;
  } = {},
): Promise<BuildResult> {
  const started = performance.now();
  const now = options.now ?? new Date();
  const scope = options.scope ?? 'full';
  let paths: { hot: string[]; rest: string[] };
  try {
    paths = await snapshotPaths(db, now);
  } catch (err) {
    throw new SnapshotBuildError('The database did not answer', { cause: err });
  }
  const counts = { compressed: 0 };
  const hot = (await renderAll(paths.hot, store, render, options.concurrency ?? 4, counts, undefined, (entry) =>
    store.put(entry),
  ))!;
  store.merge(hot, paths.hot, now);
  const hotMs = Math.round(performance.now() - started);
  let rendered = hot.size;
  let preempted = false;
  if (scope === 'full') {
    const rest = await renderAll(paths.rest, store, render, options.concurrency ?? 4, counts, options.preempt);
    if (rest) {
      store.replace(new Map([...hot, ...rest]), now);
      rendered += rest.size;
    } else preempted = true;
  }
  return {
    scope,
    preempted,
    paths: paths.hot.length + (scope === 'full' ? paths.rest.length : 0),
    rendered,
    compressed: counts.compressed,
    hotMs,
    ms: Math.round(performance.now() - started),
  };
}

const FIXED = new Set<string>(FIXED_PATHS);

async function renderAll(
  paths: string[],
  store: SnapshotStore,
  render: Render,
  concurrency: number,
  counts: { compressed: number },
  preempt?: () => boolean,
  onEntry?: (entry: SnapshotEntry) => void,
): Promise<Map<string, SnapshotEntry> | null> {
  const out = new Map<string, SnapshotEntry>();
  let cursor = 0;
  let failed = false;
  let stopped = false;
  const worker = async () => {
    while (cursor < paths.length && !failed && !stopped) {
      if (preempt?.()) {
        stopped = true;
        break;
      }
      const path = paths[cursor++];
      const first = await renderEntry(path, path);
      if (!first) continue;
      // A page in the reader's language (it says which in Content-Language): the one rendered
      // without a preference is the page's default, kept under the path; the others under variantKey.
      const lang = first.headers['content-language'];
      if (isLang(lang) && first.headers['content-type']?.startsWith('text/html')) {
        first.lang = lang;
        for (const other of LANGUAGES) {
          if (other === lang) continue;
          const variant = await renderEntry(path, variantKey(path, other), other);
          if (variant) onEntry?.(variant);
        }
      }
      // The default last, so it never points readers to variants not in the store yet.
      onEntry?.(first);
    }
  };

  // Renders one representation into `out`; null when it is left out.
  const renderEntry = async (path: string, key: string, lang?: Lang): Promise<SnapshotEntry | null> => {
    let response: Response;
    try {
      response = await render(path, lang);
    } catch (err) {
      failed = true;
      throw new SnapshotBuildError(`Rendering ${path} failed`, { cause: err });
    }
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status !== 200 || response.headers.has('set-cookie')) {
      // A fixed path must render; an incident page may have gone internal meanwhile.
      if (FIXED.has(path) || response.status >= 500) {
        failed = true;
        throw new SnapshotBuildError(`${path} answered ${response.status}`);
      }
      return null;
    }
    const previous = store.get(key);
    let fresh: Variant;
    if (previous && previous.fresh.body.equals(body)) fresh = previous.fresh;
    else {
      fresh = await makeVariant(body);
      counts.compressed++;
    }
    const entry: SnapshotEntry = { path: key, headers: keptHeaders(response.headers), fresh };
    if (lang) entry.lang = lang;
    out.set(key, entry);
    return entry;
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length || 1) }, worker));
  return stopped ? null : out;
}

function keptHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!DROPPED_HEADERS.has(name)) kept[name] = value;
  });
  return kept;
}
