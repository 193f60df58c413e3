/**
 * One loader per status page, public and internal: each reads what its page needs through
 * the read model and shapes it with the pure helpers in view.ts, so the .astro files only
 * render. A public and an internal loader differ only in the audience they pass on: the read
 * model filters internal data for the public one, the view marks it for the internal one.
 */
import type { Db } from '../../db/client.ts';
import { getSettings } from '../settings/queries.ts';
import { loadIncident, loadIncidentsBetween, loadStatusPage, oldestIncidentStart } from './queries.ts';
import {
  buildHistoryView,
  buildHomeView,
  historyMonths,
  historyRange,
  incidentFacts,
  incidentItem,
  INTERNAL_VIEW,
  pageChrome,
  PUBLIC_VIEW,
  UPTIME_DAYS,
  type Fact,
  type HistoryView,
  type HomeView,
  type IncidentItem,
  type PageChrome,
  type ViewOptions,
} from './view.ts';

export type IncidentPage = { chrome: PageChrome; incident: IncidentItem; facts: Fact[] };

/** The status page (`/`). */
export function loadHomePage(db: Db, now: Date): Promise<HomeView> {
  return homePage(db, now, PUBLIC_VIEW);
}

/** The internal status page (`/internal`): everything public plus everything internal, marked. */
export function loadInternalHomePage(db: Db, now: Date): Promise<HomeView> {
  return homePage(db, now, INTERNAL_VIEW);
}

/** One public incident or maintenance, or null when there is none to show under that id. */
export function loadIncidentPage(db: Db, id: string, now: Date): Promise<IncidentPage | null> {
  return incidentPage(db, id, now, PUBLIC_VIEW);
}

/** One incident or maintenance, internal ones included, with its full timeline (`/internal/incidents/{id}`). */
export function loadInternalIncidentPage(db: Db, id: string, now: Date): Promise<IncidentPage | null> {
  return incidentPage(db, id, now, INTERNAL_VIEW);
}

async function homePage(db: Db, now: Date, options: ViewOptions): Promise<HomeView> {
  const data = await loadStatusPage(db, { audience: options.audience, now, history: { days: UPTIME_DAYS } });
  return buildHomeView(data, now, options);
}

async function incidentPage(db: Db, id: string, now: Date, options: ViewOptions): Promise<IncidentPage | null> {
  const found = await loadIncident(db, id, options.audience);
  if (!found) return null;
  const chrome = pageChrome(await getSettings(db));
  const incident = incidentItem(found, chrome, now, options);
  return { chrome, incident, facts: incidentFacts(incident, found) };
}

/** One page of the history: three calendar months in the page's time zone. */
export async function loadHistoryPage(db: Db, page: number, now: Date): Promise<HistoryView> {
  const chrome = pageChrome(await getSettings(db));
  const months = historyMonths(page, now, chrome.timeZone, chrome.locale);
  const { from, to } = historyRange(months);
  const [incidents, oldest] = await Promise.all([
    loadIncidentsBetween(db, from, to, 'public'),
    oldestIncidentStart(db, 'public'),
  ]);
  return buildHistoryView({ chrome, page, months, incidents, oldest, now });
}
