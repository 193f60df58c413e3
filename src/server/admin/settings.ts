/**
 * The admin page of page settings (/admin/settings, admin only): name, home link, logo and
 * accent colour, time zone, locale, sender address, and the Sev 1-3 definitions (label, description, examples,
 * expected response) responders read when they choose a severity.
 */
import type { Db } from '../../db/client.ts';
import type { Lang } from '../../i18n/index.ts';
import { SEVERITIES } from '../../domain/enums.ts';
import { runForm, type FormState } from '../forms.ts';
import { authorize, type Caller } from '../services.ts';
import { getSettings, type Settings } from '../settings/queries.ts';
import { severityDefinitionsOf, updateSettings } from '../settings/service.ts';
import { adminPage, blankForm, placeErrors, submitted, text, type PageOutcome } from './page.ts';

const SEVERITY_FIELDS = SEVERITIES.flatMap((s) => [
  `severity_definitions.${s}.label`,
  `severity_definitions.${s}.description`,
  `severity_definitions.${s}.examples`,
  `severity_definitions.${s}.response`,
]);
export const SETTINGS_FIELDS = [
  'page_name',
  'home_url',
  'logo_url',
  'accent_color',
  'time_zone',
  'locale',
  'email_from',
  ...SEVERITY_FIELDS,
];

export type SettingsView = {
  form: FormState;
  severities: readonly number[];
  /** Every zone this server knows, for the input's suggestions. */
  timeZones: string[];
  /** The page's language and date format choices (the current value first when it is not one of them). */
  locales: { value: string; label: string }[];
};

/** /admin/settings: GET shows the form; POST saves every field. */
export function loadSettingsPage(
  db: Db,
  caller: Caller,
  request: Request,
  lang: Lang = 'en',
): Promise<PageOutcome<SettingsView>> {
  return adminPage<SettingsView>(async () => {
    authorize(caller, 'settings:manage');
    const form = await submitted(request);
    const current = settingsValues(await getSettings(db), lang);
    let state = blankForm(current);
    if (form) {
      // Examples and responses left out of the form altogether (a form from before they
      // existed) keep their values; the other fields are required.
      const keep = (f: string) => !form.has(f) && /\.(examples|response)$/.test(f);
      const values = Object.fromEntries(SETTINGS_FIELDS.map((f) => [f, keep(f) ? current[f] : text(form, f)]));
      const definition = (s: number) => ({
        label: values[`severity_definitions.${s}.label`],
        description: values[`severity_definitions.${s}.description`],
        // One example a line; blank lines are dropped.
        examples: values[`severity_definitions.${s}.examples`].split(/\r?\n/).filter((line) => line.trim()),
        response: values[`severity_definitions.${s}.response`],
      });
      state = await runForm(values, async () => {
        await updateSettings(db, caller, {
          pageName: values.page_name,
          homeUrl: values.home_url,
          // A form from before these fields existed leaves the branding as it is.
          logoUrl: form.has('logo_url') ? values.logo_url : undefined,
          accentColor: form.has('accent_color') ? values.accent_color : undefined,
          timeZone: values.time_zone,
          locale: values.locale,
          emailFrom: values.email_from,
          severityDefinitions: { 1: definition(1), 2: definition(2), 3: definition(3) },
        });
        return 'The settings are saved. The public pages show them within a few seconds.';
      });
      if (state.status === 200) state = { ...state, values: settingsValues(await getSettings(db), lang) };
      state.errors = placeErrors(state.errors, SETTINGS_FIELDS);
    }
    return {
      status: state.status,
      view: {
        form: state,
        severities: SEVERITIES,
        timeZones: Intl.supportedValuesOf('timeZone'),
        locales: localeChoices(state.values.locale ?? ''),
      },
    };
  });
}

/** The form's values; default severity definitions show in the reader's language (saved unchanged, they stay defaults). */
function settingsValues(s: Settings, lang: Lang): Record<string, string> {
  const definitions = severityDefinitionsOf(s, lang);
  return {
    page_name: s.pageName,
    home_url: s.homeUrl ?? '',
    logo_url: s.logoUrl ?? '',
    accent_color: s.accentColor ?? '',
    time_zone: s.timeZone,
    locale: s.locale,
    email_from: s.emailFrom ?? '',
    ...Object.fromEntries(
      SEVERITIES.flatMap((n) => [
        [`severity_definitions.${n}.label`, definitions[n].label],
        [`severity_definitions.${n}.description`, definitions[n].description],
        [`severity_definitions.${n}.examples`, definitions[n].examples.join('\n')],
        [`severity_definitions.${n}.response`, definitions[n].response],
      ]),
    ),
  };
}

/**
 * The page's locale: its language is the default language of the public page and of the
 * emails of subscribers with none (English or French; readers may switch), its region how
 * dates are written. A stored locale of another language stays selectable (English text,
 * dates in English too).
 */
export const LOCALE_CHOICES: readonly { value: string; label: string }[] = [
  { value: 'en', label: 'English' },
  { value: 'en-GB', label: 'English (United Kingdom)' },
  { value: 'en-US', label: 'English (United States)' },
  { value: 'fr', label: 'Français' },
  { value: 'fr-FR', label: 'Français (France)' },
  { value: 'fr-BE', label: 'Français (Belgique)' },
  { value: 'fr-CA', label: 'Français (Canada)' },
  { value: 'fr-CH', label: 'Français (Suisse)' },
];

function localeChoices(current: string): { value: string; label: string }[] {
  if (!current || LOCALE_CHOICES.some((c) => c.value === current)) return [...LOCALE_CHOICES];
  return [{ value: current, label: `${current} (English text)` }, ...LOCALE_CHOICES];
}
