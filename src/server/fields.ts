/**
 * zod building blocks shared by the services' schemas.ts files, with messages a person
 * understands. Optional text fields take '' as "clear it" (null), so a form's empty input
 * and an API's `""` or `null` mean the same thing; `undefined` means "leave it as it is".
 */
import { z } from 'zod';

/** One of our ids: lowercase letters and digits. */
export const idField = (what = 'id') =>
  z.string({ error: `Give the ${what}` }).regex(/^[a-z0-9]{1,64}$/, `This is not a valid ${what}`);

/** A required single-line name, trimmed. */
export const nameField = (what: string, max = 200) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `Give the ${what} a name` : 'Must be text') })
    .trim()
    .min(1, `Give the ${what} a name`)
    .max(max, `Keep it under ${max} characters`);

/** Required text (an update's Markdown body…), trimmed. */
export const textField = (message: string, max = 20_000) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? message : 'Must be text') })
    .trim()
    .min(1, message)
    .max(max, `Keep it under ${max} characters`);

/** Optional text: '' and null clear it (null), undefined leaves it alone. */
export const optionalText = (max = 5_000) =>
  z
    .string({ error: 'Must be text' })
    .trim()
    .max(max, `Keep it under ${max} characters`)
    .nullish()
    .transform((v) => (v === undefined ? undefined : v || null));

/** Optional http(s) URL: '' and null clear it. */
export const optionalUrl = () =>
  optionalText(2_000).refine((v) => v == null || isHttpUrl(v), 'Enter an http:// or https:// address');

/** Optional http(s) or root-relative (`/logo.svg`) URL, e.g. an image: '' and null clear it. */
export const optionalAssetUrl = () =>
  optionalText(2_000).refine(
    (v) => v == null || isHttpUrl(v) || isRootRelative(v),
    'Enter an http:// or https:// address, or a path starting with /',
  );

/** `/path` on this site; `//host` (another site) and backslashes are not. */
export function isRootRelative(value: string): boolean {
  return /^\/(?![/\\])[^\s\\]*$/.test(value);
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A boolean flag. */
export const flag = () => z.boolean({ error: 'Must be true or false' });

/** A whole number in a range. */
export const intField = (min: number, max: number) =>
  z
    .number({ error: 'Must be a number' })
    .int('Must be a whole number')
    .min(min, `Must be at least ${min}`)
    .max(max, `Must be at most ${max}`);

/**
 * An instant: a Date, or an ISO 8601 date-time with a time zone (`2026-03-01T02:00:00Z`,
 * `…+01:00`). Without a zone the instant would depend on the server's clock setting.
 */
export const instantField = () =>
  z.union(
    [
      z.date({ error: 'Not a valid date' }).refine((d) => !Number.isNaN(d.getTime()), 'Not a valid date'),
      z.iso
        .datetime({ offset: true, error: 'Use an ISO 8601 date-time with a time zone, e.g. 2026-03-01T02:00:00Z' })
        .transform((s) => new Date(s)),
    ],
    { error: 'Use an ISO 8601 date-time with a time zone, e.g. 2026-03-01T02:00:00Z' },
  );

/** A Date only trusted code passes (the seed back-dates its history); an API's JSON cannot. */
export const trustedDate = () => z.date({ error: 'Set by Vigie: leave it out' });

/** The Idempotency-Key of a form or API call. */
export const idempotencyKeyField = () =>
  z
    .string({ error: 'Must be text' })
    .trim()
    .min(1, 'Must not be empty')
    .max(100, 'Keep it under 100 characters')
    .optional();

/** An optional reference to one of our ids: '' and null clear it. */
export const optionalId = (what: string) =>
  z
    .union([z.literal(''), idField(what)], { error: `This is not a valid ${what}` })
    .nullish()
    .transform((v) => (v === undefined ? undefined : v || null));
