/**
 * One loader per public subscription page (/subscribe, /subscribe/confirm, /unsubscribe):
 * each takes the request, calls the flow in public-flow.ts and returns what the page
 * renders, with its HTTP status. Bad or spent tokens are ordinary answers (400/410), never
 * errors.
 */
import type { Db } from '../../db/client.ts';
import type { App } from '../app.ts';
import { ValidationError } from '../errors.ts';
import { getSettings } from '../settings/queries.ts';
import { pageChrome, type PageChrome } from '../status-page/view.ts';
import {
  checkConfirmToken,
  confirmSubscription,
  loadSubscribeOptions,
  manageTokenExists,
  subscribe,
  TooManyRequestsError,
  unsubscribe,
  type SubscribeOptionGroup,
} from './public-flow.ts';

export type SubscribePage = {
  chrome: PageChrome;
  status: number;
  /** Set once the form was accepted: the address the confirmation went to. */
  sentTo: string | null;
  groups: SubscribeOptionGroup[];
  values: { email: string; components: string[] };
  errors: Record<string, string>;
  retryAfterSeconds?: number;
};

/** GET shows the form; POST signs up and answers "check your inbox", or the form with errors. */
export async function loadSubscribePage(
  app: Pick<App, 'db' | 'mailer' | 'config'>,
  request: Request,
  ip: string,
): Promise<SubscribePage> {
  const chrome = pageChrome(await getSettings(app.db));
  const page: SubscribePage = {
    chrome,
    status: 200,
    sentTo: null,
    groups: [],
    values: { email: '', components: [] },
    errors: {},
  };
  if (request.method === 'POST') {
    const form = await readFormData(request);
    page.values = {
      email: String(form?.get('email') ?? ''),
      components: (form?.getAll('components') ?? []).map(String),
    };
    try {
      const done = await subscribe(app.db, app.mailer, {
        email: page.values.email,
        componentIds: page.values.components,
        ip,
        siteUrl: app.config.siteUrl,
        pageName: chrome.pageName,
      });
      page.sentTo = done.email;
      return page;
    } catch (err) {
      if (err instanceof ValidationError) {
        page.status = 422;
        page.errors = Object.keys(err.fields).length ? err.fields : { _: err.message };
      } else if (err instanceof TooManyRequestsError) {
        page.status = 429;
        page.errors = { _: err.message };
        page.retryAfterSeconds = err.retryAfterSeconds;
      } else throw err;
    }
  }
  page.groups = await loadSubscribeOptions(app.db);
  return page;
}

export type TokenPage = {
  chrome: PageChrome;
  status: number;
  /** ask: the page with the one button; done: it worked; invalid / expired: the link is no good. */
  state: 'ask' | 'done' | 'invalid' | 'expired';
  token: string;
  /** After a confirmation: the new unsubscribe link's token. */
  manageToken?: string;
};

/** GET asks (link scanners follow GETs, so nothing happens yet); POST confirms. */
export async function loadConfirmPage(db: Db, request: Request, url: URL): Promise<TokenPage> {
  const chrome = pageChrome(await getSettings(db));
  const token = url.searchParams.get('token') ?? '';
  if (request.method !== 'POST') {
    const check = await checkConfirmToken(db, token);
    if (check === 'valid') return { chrome, token, state: 'ask', status: 200 };
    return { chrome, token, state: check, status: check === 'expired' ? 410 : 400 };
  }
  const result = await confirmSubscription(db, token);
  if (result.status === 'ok') return { chrome, token, state: 'done', status: 200, manageToken: result.manageToken };
  return { chrome, token, state: result.status, status: result.status === 'expired' ? 410 : 400 };
}

/** GET asks; POST unsubscribes, whatever the body (RFC 8058 one-click sends `List-Unsubscribe=One-Click`). */
export async function loadUnsubscribePage(db: Db, request: Request, url: URL): Promise<TokenPage> {
  const chrome = pageChrome(await getSettings(db));
  const token = url.searchParams.get('token') ?? '';
  if (request.method !== 'POST') {
    const known = await manageTokenExists(db, token);
    return { chrome, token, state: known ? 'ask' : 'invalid', status: known ? 200 : 400 };
  }
  const result = await unsubscribe(db, token);
  return {
    chrome,
    token,
    state: result.status === 'ok' ? 'done' : 'invalid',
    status: result.status === 'ok' ? 200 : 400,
  };
}

async function readFormData(request: Request): Promise<FormData | null> {
  try {
    return await request.formData();
  } catch {
    return null;
  }
}
