/**
 * The page side of the languages: what a page does once its chrome knows the reader's
 * language, and the switcher's links. Kept apart from index.ts, which the front server
 * (src/cli/serve.ts) imports and which must stay free of Astro types.
 */
import { LANG_COOKIE, LANGUAGES, LANGUAGE_NAMES, type Lang } from './index.ts';

type PageContext = { locals: App.Locals; response: { headers: Headers } };

/**
 * Records the page's language for its components (`Astro.locals.lang`) and says it in the
 * answer: `Content-Language`, and `Vary` so a shared cache keeps one copy per language.
 */
export function useLanguage(astro: PageContext, lang: Lang): void {
  astro.locals.lang = lang;
  astro.response.headers.set('content-language', lang);
  astro.response.headers.set('vary', 'Accept-Language, Cookie');
}

/** Where the switcher sends the reader back to: the page's path (history keeps its page number; tokens never travel). */
export function switcherBack(url: URL): string {
  return url.pathname === '/history' ? url.pathname + url.search : url.pathname;
}

/** The switcher's links: one per language, to `/lang?set=…&back=…`. */
export function switcherLinks(
  current: Lang,
  back: string,
): { lang: Lang; name: string; href: string; current: boolean }[] {
  return LANGUAGES.map((lang) => ({
    lang,
    name: LANGUAGE_NAMES[lang],
    href: `/lang?set=${lang}&back=${encodeURIComponent(back)}`,
    current: lang === current,
  }));
}

/** A same-site path to go back to, or '/' for anything else (no open redirect: `//evil`, `/\evil`, URLs). */
export function safeBackPath(raw: string | null): string {
  if (!raw || raw.length > 2000) return '/';
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/';
  // Control characters and backslashes are refused outright: browsers read `\` as `/`.
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return '/';
  try {
    const url = new URL(raw, 'http://vigie.invalid');
    if (url.origin !== 'http://vigie.invalid') return '/';
    return url.pathname + url.search;
  } catch {
    return '/';
  }
}

/** The switcher's cookie: a year, the whole site, sent on top-level navigations from elsewhere too. */
export function languageCookie(lang: Lang, secure: boolean): string {
  return `${LANG_COOKIE}=${lang}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly${secure ? '; Secure' : ''}`;
}

/** The language an admin page's components speak: set by the middleware (src/middleware.ts). */
export function staffLanguage(locals: App.Locals): Lang {
  return locals.lang ?? 'en';
}
