/**
 * Loads what a public feed shows and renders it. Shared by the routes and the static export;
 * only ever reads the public audience.
 */
import type { Db } from '../../db/client.ts';
import { isId } from '../ids.ts';
import { getSettings } from '../settings/queries.ts';
import { loadComponentIndex, loadFeedEntries } from '../status-page/queries.ts';
import { buildFeed, FEED_LIMIT } from './rss.ts';

export type FeedOptions = {
  siteUrl: string;
  /** Set for a per-component feed; the component must exist and be public. */
  componentId?: string;
};

/** The public feed's XML, or null when the requested component does not exist or is not public. */
export async function renderPublicFeed(db: Db, options: FeedOptions): Promise<string | null> {
  const { componentId } = options;
  let component: { id: string; name: string } | undefined;
  if (componentId !== undefined) {
    // A malformed id cannot name a component: answer without a query.
    if (!isId(componentId)) return null;
    // The public index also hides public components inside internal groups.
    component = (await loadComponentIndex(db, 'public')).get(componentId);
    if (!component) return null;
  }
  const settings = await getSettings(db);
  const entries = await loadFeedEntries(db, { audience: 'public', componentId, limit: FEED_LIMIT });
  return buildFeed({
    siteUrl: options.siteUrl,
    pageName: settings.pageName,
    language: settings.locale,
    entries,
    component,
  });
}
