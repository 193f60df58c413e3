/**
 * Vigie's own words in English and French: the catalogs (en.ts is the source), a translator
 * per language with plurals through Intl.PluralRules, and the language negotiation shared by
 * the pages and the snapshot's front server (cookie, then Accept-Language, then the page's
 * default). Text people write (incident names, updates, component names) is never translated.
 */
import { en, type Catalog, type MessageKey, type Plural } from './en.ts';
import { fr } from './fr.ts';

export type { MessageKey } from './en.ts';

/** The languages Vigie speaks, the first being the fallback. */
export const LANGUAGES = ['en', 'fr'] as const;
export type Lang = (typeof LANGUAGES)[number];

/** Each language's name in itself, for the switcher. */
export const LANGUAGE_NAMES: Readonly<Record<Lang, string>> = { en: 'English', fr: 'Français' };

/** The cookie the language switcher sets. */
export const LANG_COOKIE = 'vigie_lang';

const CATALOGS: Readonly<Record<Lang, Catalog>> = { en, fr };

export function isLang(value: unknown): value is Lang {
  return value === 'en' || value === 'fr';
}

/** The supported language of a BCP 47 tag ('fr-CA' → 'fr'), or null. */
export function languageOf(tag: string | null | undefined): Lang | null {
  if (!tag) return null;
  const t = tag.trim();
  // The primary subtag is what comes before '-' or '_': 'fr-CA' → 'fr'.
  if (t.length !== 2 && t[2] !== '-' && t[2] !== '_') return null;
  const primary = t.slice(0, 2).toLowerCase();
  return isLang(primary) ? primary : null;
}

/** The value of the `vigie_lang` cookie in a Cookie header, when it names a supported language. */
export function cookieLanguage(cookieHeader: string | null | undefined): Lang | null {
  if (!cookieHeader || !cookieHeader.includes(LANG_COOKIE)) return null;
  const m = /(?:^|;\s*)vigie_lang=([a-z]{2})(?:;|\s|$)/.exec(cookieHeader);
  return m && isLang(m[1]) ? m[1] : null;
}

/**
 * The most preferred supported language of an Accept-Language header (q=0 refuses), or null.
 * The front server calls it on every negotiated page, so it scans without regexes or arrays,
 * and stops at the first supported language with q=1 (ties keep the first listed).
 */
export function acceptedLanguage(header: string | null | undefined): Lang | null {
  if (!header) return null;
  const value = header.length > 500 ? header.slice(0, 500) : header;
  let best: Lang | null = null;
  let bestQ = 0;
  let start = 0;
  while (start < value.length) {
    let end = value.indexOf(',', start);
    if (end === -1) end = value.length;
    const part = value.slice(start, end);
    start = end + 1;
    const semi = part.indexOf(';');
    const lang = languageOf(semi === -1 ? part : part.slice(0, semi));
    if (!lang) continue;
    let q = 1;
    if (semi !== -1) {
      const at = part.indexOf('q=', semi);
      if (at !== -1) q = Number(part.slice(at + 2).trim());
    }
    if (!Number.isFinite(q) || q <= 0) continue;
    if (q >= 1) return lang;
    if (q > bestQ) {
      best = lang;
      bestQ = q;
    }
  }
  return best;
}

/** The reader's language: the switcher's cookie, then Accept-Language, then the page's default. */
export function negotiateLanguage(
  acceptLanguage: string | null | undefined,
  cookieHeader: string | null | undefined,
  fallback: Lang,
): Lang {
  return cookieLanguage(cookieHeader) ?? acceptedLanguage(acceptLanguage) ?? fallback;
}

/** What a request says about its reader's language (the headers negotiateLanguage reads). */
export type LanguagePreference = {
  acceptLanguage?: string | null;
  cookie?: string | null;
  /** A language already decided (a subscriber's): wins over the headers. */
  lang?: Lang;
};

/** The preference a request carries. */
export function preferenceOf(request: Request): LanguagePreference {
  return { acceptLanguage: request.headers.get('accept-language'), cookie: request.headers.get('cookie') };
}

/** The language a request negotiates (cookie, then Accept-Language), else `fallback`. */
export function requestLanguage(request: Request, fallback: Lang = 'en'): Lang {
  return negotiateLanguage(request.headers.get('accept-language'), request.headers.get('cookie'), fallback);
}

/**
 * The locale dates are formatted in: the page's own locale when it is in this language
 * (keeping its region, 'en-GB' say), the bare language otherwise.
 */
export function localeFor(lang: Lang, pageLocale: string): string {
  return languageOf(pageLocale) === lang ? pageLocale : lang;
}

export type Vars = Record<string, string | number>;
export type Translate = (key: MessageKey, vars?: Vars) => string;

const translators = new Map<Lang, Translate>();

/** The translator of a language: `t('home.uptimeOver', { days: 90 })`; plurals pick their form from `count`. */
export function messages(lang: Lang): Translate {
  let t = translators.get(lang);
  if (!t) {
    const catalog = CATALOGS[lang];
    const plurals = new Intl.PluralRules(lang);
    t = (key, vars) => {
      const entry: string | Plural = catalog[key];
      const text =
        typeof entry === 'string'
          ? entry
          : plurals.select(Number(vars?.count ?? 0)) === 'one'
            ? entry.one
            : entry.other;
      return vars ? text.replace(/\{(\w+)\}/g, (all, name: string) => (name in vars ? String(vars[name]) : all)) : text;
    };
    translators.set(lang, t);
  }
  return t;
}

/** The catalogs, for the parity test. */
export const CATALOG_LIST: Readonly<Record<Lang, Readonly<Record<string, string | Plural>>>> = CATALOGS;
