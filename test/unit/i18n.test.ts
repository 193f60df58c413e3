/** The catalogs and the language negotiation: fr says everything en says, with the same placeholders. */
import { describe, expect, it } from 'vitest';
import { safeBackPath, switcherLinks } from '../../src/i18n/astro.ts';
import { en } from '../../src/i18n/en.ts';
import {
  acceptedLanguage,
  CATALOG_LIST,
  cookieLanguage,
  languageOf,
  localeFor,
  messages,
  negotiateLanguage,
} from '../../src/i18n/index.ts';

const placeholders = (value: string | { one: string; other: string }) =>
  (typeof value === 'string' ? [value] : [value.one, value.other])
    .flatMap((text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))
    .filter((name, i, all) => all.indexOf(name) === i)
    .sort();

describe('catalogs', () => {
  const fr = CATALOG_LIST.fr;
  it('fr has every key of en and no other', () => {
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
  });

  it.each(Object.keys(en))('%s: same placeholders and shape in fr', (key) => {
    const source = en[key as keyof typeof en];
    const target = fr[key];
    expect(typeof target).toBe(typeof source);
    expect(placeholders(target)).toEqual(placeholders(source));
    if (typeof target === 'string') expect(target.trim()).not.toBe('');
  });
});

describe('messages', () => {
  it('fills placeholders and picks plurals with Intl.PluralRules', () => {
    const t = messages('en');
    expect(t('home.uptimeOver', { days: 90 })).toBe('Uptime over the last 90 days');
    expect(t('group.count', { count: 1 })).toBe('1 component');
    expect(t('group.count', { count: 3 })).toBe('3 components');
    const f = messages('fr');
    expect(f('overall.none')).toBe('Tous les systèmes sont opérationnels');
    expect(f('overall.majorOutage')).toBe('Panne majeure');
    // French counts 0 and 1 as singular.
    expect(f('uptime.troubled', { count: 0 })).toBe('0 jour avec incident');
    expect(f('uptime.troubled', { count: 1 })).toBe('1 jour avec incident');
    expect(f('group.count', { count: 2 })).toBe('2 composants');
  });
});

describe('negotiation', () => {
  it('reads the supported language of a tag', () => {
    expect(languageOf('fr-CA')).toBe('fr');
    expect(languageOf('en_GB')).toBe('en');
    expect(languageOf('de')).toBeNull();
    expect(languageOf('')).toBeNull();
  });

  it('takes the most preferred supported language of Accept-Language', () => {
    expect(acceptedLanguage('fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7')).toBe('fr');
    expect(acceptedLanguage('de-DE,de;q=0.9,fr;q=0.5,en;q=0.4')).toBe('fr');
    expect(acceptedLanguage('en;q=0.2, fr;q=0.8')).toBe('fr');
    expect(acceptedLanguage('fr;q=0, en')).toBe('en');
    expect(acceptedLanguage('de, *;q=0.5')).toBeNull();
    expect(acceptedLanguage('')).toBeNull();
    expect(acceptedLanguage(undefined)).toBeNull();
    expect(acceptedLanguage('fr;q=abc')).toBeNull();
  });

  it('reads the switcher cookie among others, and only a supported value', () => {
    expect(cookieLanguage('a=1; vigie_lang=fr; b=2')).toBe('fr');
    expect(cookieLanguage('vigie_lang=en')).toBe('en');
    expect(cookieLanguage('x_vigie_lang=fr')).toBeNull();
    expect(cookieLanguage('vigie_lang=de')).toBeNull();
    expect(cookieLanguage('vigie_lang=french')).toBeNull();
    expect(cookieLanguage(undefined)).toBeNull();
  });

  it('cookie, then Accept-Language, then the page default', () => {
    expect(negotiateLanguage('fr-FR', 'vigie_lang=en', 'en')).toBe('en');
    expect(negotiateLanguage('fr-FR', null, 'en')).toBe('fr');
    expect(negotiateLanguage('de-DE', null, 'fr')).toBe('fr');
    expect(negotiateLanguage(null, null, 'en')).toBe('en');
  });

  it('keeps the page locale region when the language matches', () => {
    expect(localeFor('en', 'en-GB')).toBe('en-GB');
    expect(localeFor('fr', 'en-GB')).toBe('fr');
    expect(localeFor('fr', 'fr-CA')).toBe('fr-CA');
  });
});

describe('switcher', () => {
  it('goes back to same-site paths only', () => {
    expect(safeBackPath('/history?page=2')).toBe('/history?page=2');
    expect(safeBackPath('/incidents/abc')).toBe('/incidents/abc');
    for (const bad of [
      '//evil.example',
      '/\\evil.example',
      'https://evil.example/',
      'javascript:alert(1)',
      '/%0d%0aX',
      null,
      '',
    ]) {
      const back = safeBackPath(bad);
      expect(back.startsWith('/') && !back.startsWith('//')).toBe(true);
      expect(back).not.toContain('evil');
    }
    expect(safeBackPath('/\tevil')).toBe('/');
  });

  it('links every language, the current one marked', () => {
    const links = switcherLinks('fr', '/history');
    expect(links.map((l) => [l.lang, l.current])).toEqual([
      ['en', false],
      ['fr', true],
    ]);
    expect(links[0].href).toBe('/lang?set=en&back=%2Fhistory');
  });
});
