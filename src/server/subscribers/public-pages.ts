/**
 * One loader per public subscription page (/subscribe, /subscribe/confirm,
 * /subscribe/manage, /unsubscribe): each takes the request, calls the flow in
 * public-flow.ts and returns what the page renders, with its HTTP status. Bad or spent
 * tokens are ordinary answers (400/410), never errors.
 */
import type { Db } from '../../db/client.ts';
import { en } from '../../i18n/en.ts';
import { messages, preferenceOf, type Lang, type MessageKey } from '../../i18n/index.ts';
import type { App } from '../app.ts';
import { ValidationError } from '../errors.ts';
import { getSettings } from '../settings/queries.ts';
import { pageChrome, type PageChrome } from '../status-page/view.ts';
import {
  checkConfirmToken,
  confirmSubscription,
  loadManagedSubscription,
  loadSubscribeOptions,
  manageTokenExists,
  resubscribe,
  subscribe,
  TooManyRequestsError,
  unsubscribe,
  updateSubscription,
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
  const chrome = pageChrome(await getSettings(app.db), preferenceOf(request));
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
        // The language the page was read in: the subscriber's emails will be in it.
        lang: chrome.lang,
      });
      page.sentTo = done.email;
      return page;
    } catch (err) {
      if (err instanceof ValidationError) {
        page.status = 422;
        page.errors = translateErrors(Object.keys(err.fields).length ? err.fields : { _: err.message }, chrome.lang);
      } else if (err instanceof TooManyRequestsError) {
        page.status = 429;
        page.errors = translateErrors({ _: err.message }, chrome.lang);
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
  const chrome = pageChrome(await getSettings(db), preferenceOf(request));
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
  const chrome = pageChrome(await getSettings(db), preferenceOf(request));
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

export type ManagePage = {
  chrome: PageChrome;
  status: number;
  token: string;
  /**
   * form: the choice of components (GET, or a refused POST); saved: after a save;
   * unsubscribed: offers to subscribe again; resubscribe-sent: the confirmation is on its
   * way; suppressed: bounced or complained, nothing to do here; invalid: no such token.
   */
  state: 'form' | 'saved' | 'unsubscribed' | 'resubscribe-sent' | 'suppressed' | 'invalid';
  maskedEmail: string;
  groups: SubscribeOptionGroup[];
  /** `scope`: 'all' (every component) or 'some' (the ticked ones). */
  values: { scope: 'all' | 'some'; components: string[] };
  errors: Record<string, string>;
  /** After a save: the names of the chosen components, or null for all of them. */
  savedNames?: string[] | null;
  retryAfterSeconds?: number;
};

/**
 * `/subscribe/manage?token=…`: GET shows the subscription; POST `action=save` (the default)
 * saves `scope` and the repeated `components`, POST `action=resubscribe` asks for a new
 * confirmation when unsubscribed. A bad token is a 400 page, a save on an unsubscribed or
 * suppressed subscription a 409.
 */
export async function loadManagePage(
  app: Pick<App, 'db' | 'mailer' | 'config'>,
  request: Request,
  url: URL,
  ip: string,
): Promise<ManagePage> {
  const { db } = app;
  const chrome = pageChrome(await getSettings(db), preferenceOf(request));
  const token = url.searchParams.get('token') ?? '';
  const page: ManagePage = {
    chrome,
    status: 200,
    token,
    state: 'invalid',
    maskedEmail: '',
    groups: [],
    values: { scope: 'all', components: [] },
    errors: {},
  };
  const current = await loadManagedSubscription(db, token);
  if (!current) return { ...page, status: 400 };
  page.maskedEmail = current.maskedEmail;
  page.values = { scope: current.allComponents ? 'all' : 'some', components: current.componentIds };
  page.state = current.state === 'active' ? 'form' : current.state;

  if (request.method === 'POST') {
    const form = await readFormData(request);
    if (form?.get('action') === 'resubscribe') {
      try {
        const done = await resubscribe(db, app.mailer, token, {
          ip,
          siteUrl: app.config.siteUrl,
          pageName: chrome.pageName,
          lang: chrome.lang,
        });
        if (done.status === 'sent') page.state = 'resubscribe-sent';
        else if (done.status === 'suppressed') page.state = 'suppressed';
      } catch (err) {
        if (!(err instanceof TooManyRequestsError)) throw err;
        page.status = 429;
        page.errors = translateErrors({ _: err.message }, chrome.lang);
        page.retryAfterSeconds = err.retryAfterSeconds;
      }
      if (page.state === 'form') page.groups = await loadSubscribeOptions(db);
      return page;
    }
    const components = (form?.getAll('components') ?? []).map(String);
    const scopeField = form?.get('scope');
    // Without a scope (a script), no component means all of them, as on /subscribe.
    const scope = scopeField === 'all' || scopeField === 'some' ? scopeField : components.length ? 'some' : 'all';
    page.values = { scope, components };
    try {
      const result = await updateSubscription(db, token, { allComponents: scope === 'all', componentIds: components });
      if (result.status === 'ok') {
        const names = new Map((await loadSubscribeOptions(db)).flatMap((g) => g.components.map((c) => [c.id, c.name])));
        page.state = 'saved';
        page.savedNames = result.subscription.allComponents
          ? null
          : result.subscription.componentIds.map((id) => names.get(id) ?? id);
        return page;
      }
      if (result.status === 'invalid') return { ...page, state: 'invalid', status: 400, maskedEmail: '' };
      page.state = result.status;
      page.status = 409;
      page.errors = {
        _: messages(chrome.lang)(result.status === 'unsubscribed' ? 'form.unsubscribed' : 'form.suppressed'),
      };
      return page;
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      page.status = 422;
      page.errors = translateErrors(Object.keys(err.fields).length ? err.fields : { _: err.message }, chrome.lang);
    }
  }
  if (page.state === 'form') page.groups = await loadSubscribeOptions(db);
  return page;
}

async function readFormData(request: Request): Promise<FormData | null> {
  try {
    return await request.formData();
  } catch {
    return null;
  }
}

// The flow's messages are English (the API shares them); the pages say them in the reader's language.
const FORM_KEYS = new Map<string, MessageKey>(
  (Object.keys(en) as MessageKey[]).filter((k) => k.startsWith('form.')).map((k) => [en[k] as string, k]),
);

/** The form's error messages in `lang`; one the catalog does not know stays as it is. */
function translateErrors(errors: Record<string, string>, lang: Lang): Record<string, string> {
  const t = messages(lang);
  return Object.fromEntries(
    Object.entries(errors).map(([field, message]) => {
      const key = FORM_KEYS.get(message);
      return [field, key ? t(key) : message];
    }),
  );
}
