/**
 * What the admin sections' page loaders share (components, maintenance, subscribers,
 * users, tokens, settings, audit). A page calls one loader, which reads the request (GET
 * or the form's POST), calls the services and returns what to render:
 * - `view`, with the HTTP status (200, or 422 / 409 / 403 when a form was refused);
 * - `redirect`, after a change that leaves nothing to show on this URL (a deletion);
 * - `error`, a 403 (the role may not open this page) or a 404 (unknown id), shown in the
 *   admin frame with a sentence saying why.
 */
import { preferenceOf } from '../../i18n/index.ts';
import { getSettings } from '../settings/queries.ts';
import type { Db } from '../../db/client.ts';
import { formatDateTime } from '../../domain/time.ts';
import { ForbiddenError } from '../auth/permissions.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { FormState } from '../forms.ts';
import { pageChrome, type PageChrome } from '../status-page/view.ts';

export type PageOutcome<V> =
  | { kind: 'view'; status: number; view: V }
  | { kind: 'redirect'; location: string }
  | { kind: 'error'; status: 403 | 404; title: string; message: string; back: Back };

/** Where the error page sends the person back to. */
export type Back = { href: string; label: string };

const DASHBOARD: Back = { href: '/admin', label: 'Back to the dashboard' };

export type Loaded<V> = { view: V; status?: number } | { redirect: string };

/** Runs a page loader; a ForbiddenError becomes the 403 page and a NotFoundError the 404 page. */
export async function adminPage<V>(load: () => Promise<Loaded<V>>, back: Back = DASHBOARD): Promise<PageOutcome<V>> {
  try {
    const loaded = await load();
    if ('redirect' in loaded) return { kind: 'redirect', location: loaded.redirect };
    return { kind: 'view', status: loaded.status ?? 200, view: loaded.view };
  } catch (err) {
    if (err instanceof ForbiddenError) {
      return { kind: 'error', status: 403, title: 'Not allowed', message: sentence(err.message), back };
    }
    if (err instanceof NotFoundError) {
      return { kind: 'error', status: 404, title: 'Not found', message: sentence(err.message), back };
    }
    throw err;
  }
}

/** The submitted form, or null for a GET (any other method is refused by the router). */
export async function submitted(request: Request): Promise<FormData | null> {
  if (request.method !== 'POST') return null;
  try {
    return await request.formData();
  } catch {
    // Not a form at all (a script posting JSON…): the same as an empty form.
    return new FormData();
  }
}

/** A text field of a form: '' when absent, never a File. */
export function text(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}

/** Every text value of a repeated field (checkboxes with one name). */
export function texts(form: FormData, name: string): string[] {
  return form.getAll(name).filter((v): v is string => typeof v === 'string' && v !== '');
}

/** A checkbox: checked when present with any value but 'false'. */
export function checked(form: FormData, name: string): boolean {
  const value = form.get(name);
  return value !== null && value !== 'false';
}

/** A whole number typed in a form: '' → undefined; anything else not a number goes to the service, whose schema names it. */
export function integer(value: string): number | string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  return /^-?\d{1,9}$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/**
 * Puts each error next to a field the form has: `components.abc` lands on `components`
 * when the form has no field of that exact name. Other errors go to `_` (the whole form).
 */
export function placeErrors(errors: Record<string, string>, fields: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, message] of Object.entries(errors)) {
    const field = fields.includes(key) || key === '_' ? key : (fields.find((f) => key.startsWith(`${f}.`)) ?? '_');
    out[field] = out[field] ? `${out[field]} ${message}` : message;
  }
  return out;
}

/** A form state with the given values and no errors. */
export function blankForm<V extends Record<string, string>>(values: V): FormState<V> {
  return { values, errors: {}, status: 200 };
}

/** Throws a ValidationError naming these fields (problems found before calling a service). */
export function refuse(fields: Record<string, string>): never {
  throw new ValidationError(Object.values(fields).join('; '), fields);
}

/** The page's time zone and locale, for dates shown and typed in the admin area. */
export async function adminChrome(db: Db, request?: Request): Promise<PageChrome> {
  // With the request, its reader's language (as the middleware negotiated it) writes the dates.
  return pageChrome(await getSettings(db), request ? preferenceOf(request) : undefined);
}

/** A date for a table cell, in the page's zone: "Nov 25, 2026, 14:03 CET". */
export function when(date: Date | null | undefined, chrome: Pick<PageChrome, 'timeZone' | 'locale'>): string {
  return date ? formatDateTime(date, chrome.timeZone, chrome.locale) : '—';
}

/** A positive page number from `?page=`; null when it is not one. Absent is page 1. */
export function pageParam(url: URL): number | null {
  const raw = url.searchParams.get('page');
  if (raw === null || raw === '') return 1;
  if (!/^\d{1,6}$/.test(raw)) return null;
  const page = Number(raw);
  return page >= 1 ? page : null;
}

function sentence(message: string): string {
  return /[.!?]$/.test(message) ? message : `${message}.`;
}
