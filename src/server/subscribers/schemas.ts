/** Input of the subscriber services. */
import { z } from 'zod';
import { flag, idField } from '../fields.ts';

/**
 * Trims an address and lowercases its domain. The local part keeps its case: RFC 5321 lets
 * a mail server tell `Ann@` from `ann@`, even if few do.
 */
export function normalizeEmail(raw: string): string {
  const email = raw.trim();
  const at = email.lastIndexOf('@');
  return at < 0 ? email : email.slice(0, at) + email.slice(at).toLowerCase();
}

export const CreateSubscriberSchema = z.object({
  email: z
    .string({ error: 'Enter an email address' })
    .max(320, 'This address is too long')
    .transform(normalizeEmail)
    .pipe(z.email('Enter a valid email address')),
  /** Only updates touching these (public) components; none or empty means every update. */
  componentIds: z.array(idField('component id'), { error: 'Send a list of component ids' }).max(1_000).optional(),
  /** An import of people who already agreed: no confirmation email. Comms and admin only. */
  confirmed: flag().optional(),
});
export type CreateSubscriberInput = z.input<typeof CreateSubscriberSchema>;
