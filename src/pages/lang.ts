/**
 * The language switcher: `GET /lang?set=fr&back=/history` remembers the choice in the
 * `vigie_lang` cookie and goes back to the page, on this site only. Works without JavaScript.
 */
import type { APIRoute } from 'astro';
import { languageCookie, safeBackPath } from '../i18n/astro.ts';
import { isLang } from '../i18n/index.ts';
import { getApp } from '../server/app.ts';

export const GET: APIRoute = async ({ url }) => {
  const set = url.searchParams.get('set');
  if (!isLang(set)) {
    return new Response('Unknown language. Use set=en or set=fr.\n', {
      status: 400,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    });
  }
  const { config } = await getApp();
  return new Response(null, {
    status: 303,
    headers: {
      location: safeBackPath(url.searchParams.get('back')),
      'set-cookie': languageCookie(set, config.siteUrl.startsWith('https://')),
      'cache-control': 'no-store',
    },
  });
};
