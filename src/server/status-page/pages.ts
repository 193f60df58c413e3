/**
 * One loader per status page, public and internal: each reads what its page needs through
 * the read model and shapes it with the pure helpers in view.ts, so the .astro files only
 * render. A public and an internal loader differ only in the audience they pass on: the read
 * model filters internal data for the public one, the view marks it for the internal one.
 */
import type { Db } from '../../db/client.ts';
import type { LanguagePreference } from '../../i18n/index.ts';
import { getSettings, type Settings } from '../settings/queries.ts';
import { severityDefinitionsOf } from '../settings/service.ts';
import {
  loadIncident,
  loadIncidentResponses,
  loadIncidentsBetween,
  loadPublishedPostmortem,
  loadStatusPage,
  oldestIncidentStart,
  type IncidentView,
} from './queries.ts';
import {
  buildHistoryView,
  buildHomeView,
  historyMonths,
  historyRange,
  incidentFacts,
  incidentItem,
  incidentResponse,
  INTERNAL_VIEW,
  pageChrome,
  postmortemView,
  PUBLIC_VIEW,
  UPTIME_DAYS,
  type Fact,
  type HistoryView,
  type HomeView,
  type IncidentItem,
  type PageChrome,
  type PostmortemView,
  type ResponseView,
} from './view.ts';

export type IncidentPage = {
  chrome: PageChrome;
  incident: IncidentItem;
  facts: Fact[];
  /** On the public page, only a published one; on the staff page, a draft too. */
  postmortem: PostmortemView | null;
};

/** The staff incident page: the public one plus the response (null for a maintenance). */
export type InternalIncidentPage = IncidentPage & { response: ResponseView | null };

/** The staff home page: the public one plus each active incident's response, by incident id. */
export type InternalHomeView = HomeView & { responses: Record<string, ResponseView> };

/** The status page (`/`). */
export async function loadHomePage(db: Db, now: Date, language?: LanguagePreference): Promise<HomeView> {
  const data = await loadStatusPage(db, { audience: 'public', now, history: { days: UPTIME_DAYS } });
  return buildHomeView(data, now, { ...PUBLIC_VIEW, language });
}

/**
 * The internal status page (`/internal`): everything public plus everything internal, marked,
 * and for each active incident its severity definition, roles, links and assessment.
 */
export async function loadInternalHomePage(
  db: Db,
  now: Date,
  language?: LanguagePreference,
): Promise<InternalHomeView> {
  const data = await loadStatusPage(db, { audience: 'internal', now, history: { days: UPTIME_DAYS } });
  const view = buildHomeView(data, now, { ...INTERNAL_VIEW, language });
  const responses = await responsesOf(db, data.unresolvedIncidents, data.settings, view.chrome);
  return { ...view, responses: Object.fromEntries(responses) };
}

/** One public incident or maintenance, or null when there is none to show under that id. */
export async function loadIncidentPage(
  db: Db,
  id: string,
  now: Date,
  language?: LanguagePreference,
): Promise<IncidentPage | null> {
  const found = await loadIncident(db, id, 'public');
  if (!found) return null;
  const chrome = pageChrome(await getSettings(db), language);
  const incident = incidentItem(found, chrome, now, PUBLIC_VIEW);
  const published = await loadPublishedPostmortem(db, id);
  return {
    chrome,
    incident,
    facts: incidentFacts(incident, found, chrome.lang),
    postmortem: published ? postmortemView(published.body, published.publishedAt, chrome) : null,
  };
}

/** One incident or maintenance, internal ones included, with its full timeline (`/internal/incidents/{id}`). */
export async function loadInternalIncidentPage(
  db: Db,
  id: string,
  now: Date,
  language?: LanguagePreference,
): Promise<InternalIncidentPage | null> {
  const found = await loadIncident(db, id, 'internal');
  if (!found) return null;
  const settings = await getSettings(db);
  const chrome = pageChrome(settings, language);
  const incident = incidentItem(found, chrome, now, INTERNAL_VIEW);
  const response = (await responsesOf(db, [found], settings, chrome)).get(id) ?? null;
  return {
    chrome,
    incident,
    facts: incidentFacts(incident, found, chrome.lang),
    postmortem: response?.postmortem ?? null,
    response,
  };
}

/** STAFF ONLY: the response views of the given incidents (maintenances have none). One query. */
async function responsesOf(
  db: Db,
  list: IncidentView[],
  settings: Settings,
  chrome: PageChrome,
): Promise<Map<string, ResponseView>> {
  const wanted = list.filter((i) => i.kind === 'incident');
  const data = await loadIncidentResponses(
    db,
    wanted.map((i) => i.id),
  );
  const definitions = severityDefinitionsOf(settings, chrome.lang);
  const out = new Map<string, ResponseView>();
  for (const i of wanted) {
    const d = data.get(i.id);
    if (d) out.set(i.id, incidentResponse(d, i, definitions, chrome));
  }
  return out;
}

/** One page of the history: three calendar months in the page's time zone. */
export async function loadHistoryPage(
  db: Db,
  page: number,
  now: Date,
  language?: LanguagePreference,
): Promise<HistoryView> {
  const chrome = pageChrome(await getSettings(db), language);
  const months = historyMonths(page, now, chrome.timeZone, chrome.locale);
  const { from, to } = historyRange(months);
  const [incidents, oldest] = await Promise.all([
    loadIncidentsBetween(db, from, to, 'public'),
    oldestIncidentStart(db, 'public'),
  ]);
  return buildHistoryView({ chrome, page, months, incidents, oldest, now });
}
