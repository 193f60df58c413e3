/**
 * One loader per public page: each reads what its page needs through the read model and
 * shapes it with the pure helpers in view.ts, so the .astro files only render.
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
  pageChrome,
  UPTIME_DAYS,
  type HistoryView,
  type HomeView,
} from './view.ts';

/** The status page (`/`). */
export async function loadHomePage(db: Db, now: Date): Promise<HomeView> {
  const data = await loadStatusPage(db, { audience: 'public', now, history: { days: UPTIME_DAYS } });
  return buildHomeView(data, now);
}

/** One public incident or maintenance, or null when there is none to show under that id. */
export async function loadIncidentPage(db: Db, id: string, now: Date) {
  const found = await loadIncident(db, id, 'public');
  if (!found) return null;
  const chrome = pageChrome(await getSettings(db));
  const incident = incidentItem(found, chrome, now);
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
