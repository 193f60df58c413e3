/**
 * Page settings ('settings:manage': admin): the page's name, home link, branding (logo and
 * accent colour), time zone, locale, sender address and the written severity definitions. One row (see getSettings).
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { settings, type SeverityDefinitions } from '../../db/schema/index.ts';
import { HEX_COLOR } from '../../domain/color.ts';
import type { Lang } from '../../i18n/index.ts';
import {
  defaultSeverityTexts,
  isDefaultSeverityTexts,
  type SeverityText,
  type SeverityTexts,
} from '../../i18n/severity.ts';
import { isValidTimeZone } from '../../domain/time.ts';
import { recordAudit } from '../audit/service.ts';
import { nameField, optionalAssetUrl, optionalText, optionalUrl } from '../fields.ts';
import { enqueue } from '../outbox/service.ts';
import { authorize, changes, invalid, parseInput, type Caller } from '../services.ts';
import { getSettings, type Settings } from './queries.ts';

/** How many examples a severity definition holds at most. */
export const MAX_EXAMPLES = 10;

/** `Name <address@example.com>` or a bare address. */
const SENDER = /^(?:[^<>@\r\n]{0,200}<[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+)$/;

const severityDefinition = () =>
  z.object(
    {
      label: nameField('severity', 40),
      description: z
        .string({ error: 'Describe this severity' })
        .trim()
        .min(1, 'Describe this severity')
        .max(1_000, 'Keep it under 1000 characters'),
      /** One short example each; empty lines are dropped. Left out: the default examples. */
      examples: z
        .array(z.string({ error: 'Each example is text' }).trim().max(200, 'Keep each example under 200 characters'), {
          error: 'Send a list of examples',
        })
        .max(MAX_EXAMPLES, `Give at most ${MAX_EXAMPLES} examples`)
        .transform((list) => list.filter((e) => e.length > 0))
        .optional(),
      /** The response expected (page now, business hours…). Left out: the default. */
      response: z
        .string({ error: 'Say what response is expected' })
        .trim()
        .min(1, 'Say what response is expected, e.g. “Page the on-call responders now”')
        .max(500, 'Keep it under 500 characters')
        .optional(),
    },
    { error: 'Send a label and a description' },
  );

export const UpdateSettingsSchema = z.object({
  pageName: nameField('page', 100).optional(),
  /** The company's own site, linked from the header; http(s) only. '' or null removes it. */
  homeUrl: optionalUrl(),
  /** Shown in the header instead of the name: http(s) or a path on this site. '' or null removes it. */
  logoUrl: optionalAssetUrl(),
  /** The colour of links and buttons, `#rrggbb` (stored lowercase). '' or null restores Vigie's own. */
  accentColor: optionalText(7)
    .refine((v) => v == null || HEX_COLOR.test(v), 'Enter a colour as #rrggbb, e.g. #0a66c2')
    .transform((v) => v?.toLowerCase() ?? v),
  /** An IANA zone: dates, the uptime days and the maintenance forms use it. */
  timeZone: z
    .string({ error: 'Choose a time zone' })
    .trim()
    .refine(isValidTimeZone, 'Use a time zone name such as Europe/Paris or UTC (not an offset)')
    .optional(),
  /** A BCP 47 locale for dates, e.g. en, en-GB, fr. */
  locale: z
    .string({ error: 'Enter a locale' })
    .trim()
    .min(1, 'Enter a locale such as en or fr-FR')
    .max(35, 'Enter a locale such as en or fr-FR')
    .transform((value, ctx) => {
      try {
        return Intl.getCanonicalLocales(value)[0];
      } catch {
        ctx.addIssue({ code: 'custom', message: 'Enter a locale such as en or fr-FR' });
        return z.NEVER;
      }
    })
    .optional(),
  /** The sender of subscriber emails; '' or null falls back to EMAIL_FROM. */
  emailFrom: optionalText(320).refine(
    (v) => v == null || SENDER.test(v),
    'Enter an address like status@example.com or "Acme Status <status@example.com>"',
  ),
  /** Sev 1-3 label, description, examples and expected response; null restores the defaults. */
  severityDefinitions: z
    .object(
      { 1: severityDefinition(), 2: severityDefinition(), 3: severityDefinition() },
      { error: 'Send a definition for severities 1, 2 and 3' },
    )
    .nullish(),
});
export type UpdateSettingsInput = z.input<typeof UpdateSettingsSchema>;

/** One severity's definition, complete: what every screen that chooses or shows a severity reads. */
export type FullSeverityDefinition = SeverityText;
export type FullSeverityDefinitions = SeverityTexts;

/**
 * The definitions the UI shows: the stored ones (as the admin wrote them), or the defaults in
 * the reader's language. Always complete: a row stored before examples and responses existed
 * takes them from the defaults.
 */
export function severityDefinitionsOf(
  row: Pick<Settings, 'severityDefinitions'>,
  lang: Lang = 'en',
): FullSeverityDefinitions {
  return completeDefinitions(row.severityDefinitions, lang);
}

/** The default Sev 1-3 labels, descriptions, examples and responses, in a language (src/i18n/severity.ts). */
export function defaultSeverityDefinitions(lang: Lang = 'en'): FullSeverityDefinitions {
  return defaultSeverityTexts(lang);
}

/** Fills what a definition leaves out (examples, response) from the defaults. */
function completeDefinitions(
  stored: SeverityDefinitions | null | undefined,
  lang: Lang = 'en',
): FullSeverityDefinitions {
  const defaults = defaultSeverityDefinitions(lang);
  if (!stored) return defaults;
  const one = (key: '1' | '2' | '3'): FullSeverityDefinition => {
    const own = stored[key];
    const d = defaults[key];
    if (!own) return d;
    return {
      label: own.label?.trim() || d.label,
      description: own.description?.trim() || d.description,
      examples: own.examples ?? d.examples,
      response: own.response?.trim() || d.response,
    };
  };
  return { 1: one('1'), 2: one('2'), 3: one('3') };
}

/** Changes the page settings; fields left out stay as they are. */
export async function updateSettings(db: Db, caller: Caller, input: UpdateSettingsInput): Promise<Settings> {
  authorize(caller, 'settings:manage');
  const data = parseInput(UpdateSettingsSchema, input);
  if (Object.values(data).every((v) => v === undefined)) invalid('_', 'Nothing to change: send at least one setting');
  // Stored complete (what is left out comes from the defaults), so every reader sees the same words.
  let severityDefinitions: SeverityDefinitions | null | undefined = data.severityDefinitions
    ? completeDefinitions(data.severityDefinitions)
    : data.severityDefinitions;
  // Definitions equal to the defaults (in any language: the form shows them in the reader's) are
  // stored as "defaults", so each reader keeps getting them in their language, and a later
  // change of the defaults reaches them.
  if (severityDefinitions && isDefaultSeverityTexts(severityDefinitions)) {
    severityDefinitions = null;
  }
  await getSettings(db);
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(settings).where(eq(settings.id, 1)).for('update');
    const [row] = await tx
      .update(settings)
      .set({ ...data, severityDefinitions, updatedAt: new Date() })
      .where(eq(settings.id, 1))
      .returning();
    const diff = changes(settingsAudit(before), settingsAudit(row));
    if (Object.keys(diff.after).length) {
      await recordAudit(tx, caller, 'settings.update', { type: 'settings', id: '1' }, diff);
      // The name, link, branding, zone and locale are on every public page.
      await enqueue(tx, 'snapshot.invalidate', {});
    }
    return row;
  });
}

function settingsAudit(s: Settings): Record<string, unknown> {
  return {
    pageName: s.pageName,
    homeUrl: s.homeUrl,
    logoUrl: s.logoUrl,
    accentColor: s.accentColor,
    timeZone: s.timeZone,
    locale: s.locale,
    emailFrom: s.emailFrom,
    severityDefinitions: s.severityDefinitions,
  };
}
