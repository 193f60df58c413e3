/**
 * The public subscription flow (no login): sign up with double opt-in, confirm, manage
 * (change components, subscribe again), unsubscribe.
 *
 * - `subscribe` answers the same for a new, a pending and an already-confirmed address, so
 *   the form cannot tell who is subscribed. A new or pending address (or one that
 *   unsubscribed) gets a fresh confirmation link; an already-confirmed one gets a short
 *   "you are already subscribed" notice without any link (its manage token is only stored
 *   hashed, and issuing a new one would break the links in the emails it already has); a
 *   suppressed address (bounce, complaint) gets nothing.
 * - Rate limits: 10 sign-ups an hour per IP (beyond: 429), and 3 emails an hour per address.
 *   Beyond the second, the answer stays the same but nothing is sent or changed, so a flood
 *   of sign-ups cannot mail a victim without bound, nor tell anything.
 * - Tokens are 256-bit secrets; only their SHA-256 is stored. A confirmation link lasts 48 h
 *   and works once. Confirming sets the manage token (unsubscribe link), derived from the
 *   subscriber id with the page's signing secret: nobody holds the random placeholder
 *   stored before the first confirmation.
 * - The manage token opens /subscribe/manage: the holder changes their components (one
 *   transaction), or, once unsubscribed, asks to subscribe again, which goes through the
 *   same double opt-in as /subscribe. These changes are the subscriber's own, like
 *   unsubscribing: they are not written to the staff audit log.
 */
import { and, asc, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { languageOf, messages, type Lang } from '../../i18n/index.ts';
import { componentGroups, subscriberComponents, subscribers } from '../../db/schema/index.ts';
import { TooManyRequestsError } from '../errors.ts';
import { hashSecret, newId, newSecret } from '../ids.ts';
import type { Mailer } from '../notify/mailer.ts';
import { getSigningSecret, manageTokenFor } from '../notify/tokens.ts';
import { hitRateLimit } from '../rate-limit.ts';
import { isUniqueViolation, parseInput, Problems } from '../services.ts';
import { loadComponentIndex } from '../status-page/queries.ts';
import { normalizeEmail } from './schemas.ts';
import { maskEmail } from './service.ts';

export const CONFIRM_TTL_MS = 48 * 3600_000;
export const SUBSCRIBE_IP_LIMIT = { limit: 10, windowSeconds: 3600 };
export const SUBSCRIBE_EMAIL_LIMIT = { limit: 3, windowSeconds: 3600 };

export { TooManyRequestsError };

const SIGNUPS_LIMITED = 'Too many sign-ups from your network. Please try again later.';

const SubscribeSchema = z.object({
  email: z
    .string({ error: 'Enter an email address' })
    .max(320, 'This address is too long')
    .transform(normalizeEmail)
    .pipe(z.email('Enter a valid email address')),
  components: z.array(z.string().max(64), { error: 'Choose components from the list' }).max(1_000),
});

export type SubscribeInput = {
  email: string;
  componentIds?: readonly string[];
  ip: string;
  siteUrl: string;
  pageName: string;
  /** The language the person subscribed in (the page's): their emails are written in it. */
  lang?: Lang;
  now?: Date;
};

/** What happened, for tests and logs; the page shows the same thing whatever it is. */
export type SubscribeOutcome = 'confirm-sent' | 'already-subscribed-sent' | 'suppressed' | 'limited' | 'race';

/** Signs an address up (double opt-in). Throws ValidationError (422) or TooManyRequestsError (429). */
export async function subscribe(
  db: Db,
  mailer: Mailer,
  input: SubscribeInput,
): Promise<{ email: string; outcome: SubscribeOutcome }> {
  const now = input.now ?? new Date();
  const data = parseInput(SubscribeSchema, { email: input.email, components: input.componentIds ?? [] });
  const componentIds = [...new Set(data.components)];
  const visible = await loadComponentIndex(db, 'public');
  const unknown = componentIds.filter((id) => !visible.has(id));
  const problems = new Problems();
  if (unknown.length) problems.add('components', 'Choose components from the list');
  problems.throwIfAny();

  const ipHit = await hitRateLimit(db, `subscribe:ip:${input.ip}`, SUBSCRIBE_IP_LIMIT, now);
  if (!ipHit.allowed) throw new TooManyRequestsError(ipHit.retryAfterSeconds, SIGNUPS_LIMITED);

  const { email } = data;
  const [existing] = await db.select().from(subscribers).where(eq(subscribers.email, email));
  if (existing?.suppressedAt) return { email, outcome: 'suppressed' };
  const addressHit = await hitRateLimit(db, `subscribe:email:${email.toLowerCase()}`, SUBSCRIBE_EMAIL_LIMIT, now);
  if (!addressHit.allowed) return { email, outcome: 'limited' };

  if (existing?.confirmedAt && !existing.unsubscribedAt) {
    await mailer.send(
      alreadySubscribedEmail(email, { ...input, lang: input.lang ?? languageOf(existing.locale) ?? 'en' }),
    );
    return { email, outcome: 'already-subscribed-sent' };
  }

  const { token, fields } = freshConfirmation(now);
  // Without a language (an older caller), the subscriber follows the page's default.
  const confirm = { ...fields, allComponents: componentIds.length === 0, locale: input.lang ?? null };
  try {
    await db.transaction(async (tx) => {
      let id = existing?.id;
      if (id) {
        await tx.update(subscribers).set(confirm).where(eq(subscribers.id, id));
        await tx.delete(subscriberComponents).where(eq(subscriberComponents.subscriberId, id));
      } else {
        id = newId();
        await tx
          .insert(subscribers)
          .values({ id, email, manageTokenHash: hashSecret(newSecret()), createdAt: now, ...confirm });
      }
      if (componentIds.length) {
        await tx
          .insert(subscriberComponents)
          .values(componentIds.map((componentId) => ({ subscriberId: id, componentId })));
      }
    });
  } catch (err) {
    // The same address signed up twice at once: the other request sends the email.
    if (isUniqueViolation(err, 'subscribers_email_idx')) return { email, outcome: 'race' };
    throw err;
  }
  const names = componentIds.map((id) => visible.get(id)!.name);
  await mailer.send(confirmationEmail(email, token, names, input));
  return { email, outcome: 'confirm-sent' };
}

/**
 * The confirmation email of a subscriber an admin or the API added unconfirmed (the
 * `subscriber.confirm` outbox row the worker consumes): a fresh link, its hash stored as the
 * form stores it. Nothing is sent to an address that confirmed, unsubscribed or was
 * suppressed since, or that is gone. Returns whether an email went out.
 */
export async function sendConfirmation(
  db: Db,
  mailer: Mailer,
  subscriberId: string,
  ctx: EmailContext & { now?: Date; defaultLang?: Lang },
): Promise<boolean> {
  const now = ctx.now ?? new Date();
  const [row] = await db.select().from(subscribers).where(eq(subscribers.id, subscriberId));
  if (!row || row.confirmedAt || row.unsubscribedAt || row.suppressedAt) return false;
  const { token, fields } = freshConfirmation(now);
  await db.update(subscribers).set(fields).where(eq(subscribers.id, subscriberId));
  const visible = await loadComponentIndex(db, 'public');
  const chosen = row.allComponents
    ? []
    : (
        await db
          .select({ id: subscriberComponents.componentId })
          .from(subscriberComponents)
          .where(eq(subscriberComponents.subscriberId, subscriberId))
      ).flatMap((c) => (visible.has(c.id) ? [visible.get(c.id)!.name] : []));
  // Added by an admin or the API: their language if one was stored, the page's default otherwise.
  const lang = languageOf(row.locale) ?? ctx.defaultLang ?? 'en';
  await mailer.send(confirmationEmail(row.email, token, chosen, { ...ctx, lang }));
  return true;
}

/** A new confirmation link: the token to mail, and the columns that store its hash and expiry. */
function freshConfirmation(now: Date) {
  const token = newSecret();
  return {
    token,
    fields: {
      confirmTokenHash: hashSecret(token),
      confirmExpiresAt: new Date(now.getTime() + CONFIRM_TTL_MS),
      confirmSentAt: now,
      updatedAt: now,
    },
  };
}

export type ConfirmResult = { status: 'ok'; manageToken: string } | { status: 'invalid' } | { status: 'expired' };

/** Confirms a subscription with the token from the email: once, within 48 h. */
export async function confirmSubscription(db: Db, token: string, now = new Date()): Promise<ConfirmResult> {
  if (!plausibleToken(token)) return { status: 'invalid' };
  const hash = hashSecret(token);
  const [row] = await db.select().from(subscribers).where(eq(subscribers.confirmTokenHash, hash));
  if (!row) return { status: 'invalid' };
  if (!row.confirmExpiresAt || row.confirmExpiresAt.getTime() <= now.getTime()) return { status: 'expired' };
  // Derived from the id (see notify/tokens.ts): the same token every time, so the links in
  // update emails, recomputed by the worker, match this hash.
  const manageToken = manageTokenFor(await getSigningSecret(db), row.id);
  const done = await db
    .update(subscribers)
    .set({
      confirmedAt: now,
      unsubscribedAt: null,
      confirmTokenHash: null,
      confirmExpiresAt: null,
      manageTokenHash: hashSecret(manageToken),
      updatedAt: now,
    })
    // Two clicks at once: only one wins the token.
    .where(and(eq(subscribers.id, row.id), eq(subscribers.confirmTokenHash, hash)))
    .returning({ id: subscribers.id });
  return done.length ? { status: 'ok', manageToken } : { status: 'invalid' };
}

/** What a confirmation token would give, without using it (the GET page shows its button only when valid). */
export async function checkConfirmToken(
  db: Db,
  token: string,
  now = new Date(),
): Promise<'valid' | 'invalid' | 'expired'> {
  if (!plausibleToken(token)) return 'invalid';
  const [row] = await db
    .select({ expiresAt: subscribers.confirmExpiresAt })
    .from(subscribers)
    .where(eq(subscribers.confirmTokenHash, hashSecret(token)));
  if (!row) return 'invalid';
  return row.expiresAt && row.expiresAt.getTime() > now.getTime() ? 'valid' : 'expired';
}

/** Unsubscribes the holder of a manage token; idempotent (already unsubscribed is ok). */
export async function unsubscribe(db: Db, token: string, now = new Date()): Promise<{ status: 'ok' | 'invalid' }> {
  if (!plausibleToken(token)) return { status: 'invalid' };
  const hash = hashSecret(token);
  const first = await db
    .update(subscribers)
    .set({ unsubscribedAt: now, updatedAt: now })
    .where(and(eq(subscribers.manageTokenHash, hash), isNull(subscribers.unsubscribedAt)))
    .returning({ id: subscribers.id });
  if (first.length) return { status: 'ok' };
  const [known] = await db
    .select({ id: subscribers.id })
    .from(subscribers)
    .where(eq(subscribers.manageTokenHash, hash));
  return { status: known ? 'ok' : 'invalid' };
}

/** Whether a manage token is valid, without using it (the GET page shows its button only then). */
export async function manageTokenExists(db: Db, token: string): Promise<boolean> {
  if (!plausibleToken(token)) return false;
  const [row] = await db
    .select({ id: subscribers.id })
    .from(subscribers)
    .where(eq(subscribers.manageTokenHash, hashSecret(token)));
  return Boolean(row);
}

export type ManagedSubscription = {
  id: string;
  /** `a***@example.com`: enough for the holder to recognise their address, too little to learn a stranger's. */
  maskedEmail: string;
  /** active: mailed; unsubscribed: not any more (may subscribe again); suppressed: bounced or complained. */
  state: 'active' | 'unsubscribed' | 'suppressed';
  allComponents: boolean;
  /** The chosen components that are still public, in no particular order. */
  componentIds: string[];
};

/** The subscription a manage token opens, or null when no subscriber holds it. */
export async function loadManagedSubscription(db: Db, token: string): Promise<ManagedSubscription | null> {
  if (!plausibleToken(token)) return null;
  const [row] = await db
    .select()
    .from(subscribers)
    .where(eq(subscribers.manageTokenHash, hashSecret(token)));
  return row ? managed(db, row) : null;
}

export type UpdateSubscriptionInput = {
  /** Every public update, including about components added later. */
  allComponents: boolean;
  /** With `allComponents` off: the public components to hear about (at least one). */
  componentIds: readonly string[];
};

export type UpdateSubscriptionResult =
  | { status: 'ok'; subscription: ManagedSubscription }
  | { status: 'invalid' }
  | { status: 'unsubscribed' | 'suppressed' };

const UpdateSubscriptionSchema = z.object({
  allComponents: z.boolean(),
  components: z.array(z.string().max(64), { error: 'Choose components from the list' }).max(1_000),
});

/**
 * Changes which components the holder of a manage token hears about, in one transaction.
 * Only an active subscription changes: an unsubscribed one subscribes again first (double
 * opt-in), a suppressed one stays as it is. Throws ValidationError (422) for a component
 * that is not public, or for "only these" with none chosen.
 */
export async function updateSubscription(
  db: Db,
  token: string,
  input: UpdateSubscriptionInput,
  now = new Date(),
): Promise<UpdateSubscriptionResult> {
  if (!plausibleToken(token)) return { status: 'invalid' };
  const data = parseInput(UpdateSubscriptionSchema, {
    allComponents: input.allComponents,
    components: [...input.componentIds],
  });
  const componentIds = data.allComponents ? [] : [...new Set(data.components)];
  return db.transaction(async (tx): Promise<UpdateSubscriptionResult> => {
    // Locked: two saves at once end with one of the two choices, never a mix of both.
    const [row] = await tx
      .select()
      .from(subscribers)
      .where(eq(subscribers.manageTokenHash, hashSecret(token)))
      .for('update');
    if (!row) return { status: 'invalid' };
    if (row.suppressedAt) return { status: 'suppressed' };
    if (row.unsubscribedAt) return { status: 'unsubscribed' };
    const visible = await loadComponentIndex(tx, 'public');
    const problems = new Problems();
    if (componentIds.some((id) => !visible.has(id))) problems.add('components', 'Choose components from the list');
    if (!data.allComponents && componentIds.length === 0) {
      problems.add('components', 'Tick at least one component, or choose all components');
    }
    problems.throwIfAny();
    const [updated] = await tx
      .update(subscribers)
      .set({ allComponents: data.allComponents, updatedAt: now })
      .where(eq(subscribers.id, row.id))
      .returning();
    await tx.delete(subscriberComponents).where(eq(subscriberComponents.subscriberId, row.id));
    if (componentIds.length) {
      await tx
        .insert(subscriberComponents)
        .values(componentIds.map((componentId) => ({ subscriberId: row.id, componentId })));
    }
    return {
      status: 'ok',
      subscription: { ...managedFields(updated), componentIds },
    };
  });
}

export type ResubscribeResult = { status: 'sent' } | { status: 'invalid' } | { status: 'active' | 'suppressed' };

/**
 * Subscribes the unsubscribed holder of a manage token again, the way /subscribe does: a
 * confirmation email to their address (never shown in full) with their former choice of
 * components, and nothing mailed until they confirm. Same limits as /subscribe (throws
 * TooManyRequestsError, 429).
 */
export async function resubscribe(
  db: Db,
  mailer: Mailer,
  token: string,
  ctx: Omit<SubscribeInput, 'email' | 'componentIds'>,
): Promise<ResubscribeResult> {
  if (!plausibleToken(token)) return { status: 'invalid' };
  const [row] = await db
    .select()
    .from(subscribers)
    .where(eq(subscribers.manageTokenHash, hashSecret(token)));
  if (!row) return { status: 'invalid' };
  if (row.suppressedAt) return { status: 'suppressed' };
  if (!row.unsubscribedAt) return { status: 'active' };
  const before = await managed(db, row);
  const done = await subscribe(db, mailer, {
    ...ctx,
    email: row.email,
    componentIds: before.allComponents ? [] : before.componentIds,
  });
  return { status: done.outcome === 'suppressed' ? 'suppressed' : 'sent' };
}

async function managed(db: Db, row: typeof subscribers.$inferSelect): Promise<ManagedSubscription> {
  const visible = await loadComponentIndex(db, 'public');
  const links = await db
    .select({ id: subscriberComponents.componentId })
    .from(subscriberComponents)
    .where(eq(subscriberComponents.subscriberId, row.id));
  return { ...managedFields(row), componentIds: links.map((l) => l.id).filter((id) => visible.has(id)) };
}

function managedFields(row: typeof subscribers.$inferSelect): Omit<ManagedSubscription, 'componentIds'> {
  return {
    id: row.id,
    maskedEmail: maskEmail(row.email),
    state: row.suppressedAt ? 'suppressed' : row.unsubscribedAt ? 'unsubscribed' : 'active',
    allComponents: row.allComponents,
  };
}

/** newSecret(): 43 base64url characters. Anything else is refused without a query. */
function plausibleToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{20,100}$/.test(token);
}

export type SubscribeOption = { id: string; name: string };
export type SubscribeOptionGroup = { name: string | null; components: SubscribeOption[] };

/** The public components to choose from, grouped and ordered as on the status page. */
export async function loadSubscribeOptions(db: Db): Promise<SubscribeOptionGroup[]> {
  const visible = [...(await loadComponentIndex(db, 'public')).values()].sort(
    (a, b) => a.position - b.position || a.name.localeCompare(b.name),
  );
  const groups = await db
    .select()
    .from(componentGroups)
    .where(eq(componentGroups.visibility, 'public'))
    .orderBy(asc(componentGroups.position), asc(componentGroups.name));
  type Entry = SubscribeOptionGroup & { position: number };
  const entries: Entry[] = [];
  for (const c of visible.filter((c) => !c.groupId)) {
    entries.push({ name: null, position: c.position, components: [{ id: c.id, name: c.name }] });
  }
  for (const g of groups) {
    const members = visible.filter((c) => c.groupId === g.id).map((c) => ({ id: c.id, name: c.name }));
    if (members.length) entries.push({ name: g.name, position: g.position, components: members });
  }
  entries.sort((a, b) => a.position - b.position);
  // Neighbouring ungrouped components share one list.
  const out: SubscribeOptionGroup[] = [];
  for (const e of entries) {
    const last = out[out.length - 1];
    if (e.name === null && last && last.name === null) last.components.push(...e.components);
    else out.push({ name: e.name, components: [...e.components] });
  }
  return out;
}

type EmailContext = Pick<SubscribeInput, 'siteUrl' | 'pageName' | 'lang'>;

function confirmationEmail(to: string, token: string, componentNames: string[], ctx: EmailContext) {
  const t = messages(ctx.lang ?? 'en');
  const page = ctx.pageName;
  const link = `${ctx.siteUrl}/subscribe/confirm?token=${encodeURIComponent(token)}`;
  const what = componentNames.length ? componentNames.join(', ') : t('email.allComponents');
  return {
    to,
    subject: t('email.confirmSubject', { page }),
    text: [
      t('email.confirmIntro', { page }),
      '',
      t('email.components', { list: what }),
      '',
      t('email.confirmOpen'),
      link,
      '',
      t('email.confirmIgnore'),
    ].join('\n'),
    html: [
      `<p>${escapeHtml(t('email.confirmIntro', { page }))}</p>`,
      `<p>${escapeHtml(t('email.components', { list: what }))}</p>`,
      `<p><a href="${escapeHtml(link)}">${escapeHtml(t('email.confirmLink'))}</a> ${escapeHtml(t('email.within48'))}</p>`,
      `<p>${escapeHtml(t('email.confirmIgnore'))}</p>`,
    ].join('\n'),
  };
}

function alreadySubscribedEmail(to: string, ctx: EmailContext) {
  const t = messages(ctx.lang ?? 'en');
  const page = ctx.pageName;
  return {
    to,
    subject: t('email.alreadySubject', { page }),
    text: [
      t('email.alreadyIntro', { page }),
      t('email.alreadyNothing'),
      '',
      t('email.alreadyHow'),
      t('email.statusPageLine', { url: `${ctx.siteUrl}/` }),
    ].join('\n'),
    html: [
      `<p>${escapeHtml(t('email.alreadyIntro', { page }))}</p>`,
      `<p>${escapeHtml(t('email.alreadyNothing'))}</p>`,
      `<p>${escapeHtml(t('email.alreadyHow'))}</p>`,
      `<p><a href="${escapeHtml(ctx.siteUrl)}/">${escapeHtml(t('email.statusPage'))}</a></p>`,
    ].join('\n'),
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
