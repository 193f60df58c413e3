/**
 * Provider-reported suppression: an address that hard-bounced, was marked as spam, or that
 * Resend itself refuses is never mailed again (fan-out and the worker skip suppressed
 * subscribers). Two ways in:
 * - Resend's webhooks (`POST /api/v1/hooks/resend`), signed the Standard Webhooks / Svix way;
 * - the worker, when Resend's permissive batch validation refuses one email because of its
 *   recipient (`isAddressRejection`).
 * Suppression is one-way here: lifting it is a person's decision, never a webhook's.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { and, eq, inArray, isNotNull, isNull, lte, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { emailDeliveries, subscribers } from '../../db/schema/index.ts';
import { recordAudit, SYSTEM_ACTOR, type Actor } from '../audit/service.ts';
import { normalizeEmail } from './schemas.ts';

/** Who suppresses on a webhook's word, in the audit log. */
export const RESEND_WEBHOOK_ACTOR: Actor = { type: 'webhook', name: 'Resend' };

/** How old (or how far ahead) a signed webhook may be: the Standard Webhooks default. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

/** Reasons are shown to staff and stored; a provider's diagnostic can be long. */
const MAX_REASON = 500;

/**
 * Suppresses the subscribers with these addresses (normalised as on subscription) and skips
 * their queued emails. An address already suppressed keeps its first time and reason; an
 * unknown one is ignored. Returns how many subscribers were newly suppressed.
 */
export async function suppressAddresses(
  db: Db,
  addresses: string[],
  reason: string,
  now = new Date(),
  actor: Actor = SYSTEM_ACTOR,
): Promise<number> {
  const emails = [...new Set(addresses.map(normalizeEmail).filter((e) => e.includes('@')))];
  if (!emails.length) return 0;
  const why = reason.trim().slice(0, MAX_REASON) || 'Reported by the email provider';
  return db.transaction(async (tx) => {
    const newly = await tx
      .update(subscribers)
      .set({ suppressedAt: now, suppressionReason: why, updatedAt: now })
      .where(and(inArray(subscribers.email, emails), isNull(subscribers.suppressedAt)))
      .returning({ id: subscribers.id, email: subscribers.email });

    // Every suppressed subscriber among these, not only the new ones: a row queued between an
    // earlier suppression and now is skipped too, with the reason kept on the subscriber.
    // Rows being sent right now (locked by a worker) are left to it: it records what really
    // happened; a row whose lock has run out belongs to nobody and is skipped here.
    const d = emailDeliveries;
    await tx
      .update(d)
      .set({
        status: 'skipped',
        lastError: sql`(select s.suppression_reason from subscribers s where s.id = ${d.subscriberId})`,
        lockedUntil: null,
        updatedAt: now,
      })
      .where(
        and(
          inArray(
            d.subscriberId,
            tx
              .select({ id: subscribers.id })
              .from(subscribers)
              .where(and(inArray(subscribers.email, emails), isNotNull(subscribers.suppressedAt))),
          ),
          or(eq(d.status, 'pending'), and(eq(d.status, 'sending'), or(isNull(d.lockedUntil), lte(d.lockedUntil, now)))),
        ),
      );

    for (const row of newly) {
      await recordAudit(
        tx,
        actor,
        'subscriber.suppress',
        { type: 'subscriber', id: row.id },
        { email: row.email, reason: why },
      );
    }
    return newly.length;
  });
}

/**
 * Whether a per-email error from Resend's batch API (permissive validation) means the
 * recipient address itself is unusable, so retrying can never help and the subscriber should
 * be suppressed. Conservative on purpose: only a message that names the `to` field (or the
 * recipient) as invalid counts, such as
 *   "Invalid `to` field. The email address needs to follow the `email@example.com` … format."
 *   "Invalid `to` field. Please use our testing email address instead of domains like `example.com`."
 * and never one about something missing (our bug, not the address's), the account (testing
 * mode: "…your own email address… verify a domain…"), the sender, or the recipient count.
 * A false "no" costs a failed delivery; a false "yes" would silence a reader for good.
 */
export function isAddressRejection(message: string): boolean {
  const m = message.toLowerCase();
  const aboutRecipient = /`to`|\bto field\b|\brecipient/.test(m);
  const invalid = /\binvalid\b|\bnot a valid\b|\bmust be a valid\b|\bmalformed\b/.test(m);
  const elsewhere = /missing|required|own email address|verify a domain|`from`|at most|too many|exceed|limit/.test(m);
  return aboutRecipient && invalid && !elsewhere;
}

/** What the webhook route answers: a status and a JSON body. */
export type WebhookReply = { status: number; body: unknown };

export type ResendWebhookInput = {
  /** The request body exactly as received: the signature covers these bytes. */
  rawBody: string;
  headers: Headers;
  /** The endpoint's signing secret (`whsec_…`, RESEND_WEBHOOK_SECRET). */
  secret: string;
};

const fail = (status: number, message: string): WebhookReply => ({ status, body: { error: { message } } });

/**
 * Handles one Resend webhook delivery: checks its signature and age (401 otherwise), reads
 * the event (400 if it is not the JSON it should be) and suppresses what it reports. Any
 * other event is acknowledged and ignored. Delivering the same event again changes nothing
 * and gets the same answer, so Resend's retries are harmless.
 */
export async function handleResendWebhook(db: Db, input: ResendWebhookInput, now = new Date()): Promise<WebhookReply> {
  const problem = checkSignature(input, now);
  if (problem) return fail(401, problem);

  let event: unknown;
  try {
    event = JSON.parse(input.rawBody);
  } catch (err) {
    return fail(400, `The body is not valid JSON: ${(err as Error).message}`);
  }
  const envelope = Envelope.safeParse(event);
  if (!envelope.success) return fail(400, 'The body is not a Resend event: it needs a "type" and a "data" object.');
  const { type, data } = envelope.data;

  const decision = decide(type, data);
  if ('error' in decision) return fail(400, `A ${type} event without ${decision.error}.`);
  if (decision.action === 'suppress') {
    await suppressAddresses(db, decision.addresses, decision.reason, now, RESEND_WEBHOOK_ACTOR);
  }
  return {
    status: 200,
    body: {
      received: true,
      type,
      action: decision.action === 'suppress' ? 'suppressed' : 'ignored',
      reason: decision.reason,
    },
  };
}

const Envelope = z.object({ type: z.string().min(1), data: z.record(z.string(), z.unknown()) });
const Recipients = z.union([z.string().transform((s) => [s]), z.array(z.string())]);
const BouncedData = z.object({
  to: Recipients,
  bounce: z.object({ type: z.string(), subType: z.string().optional(), message: z.string().optional() }),
});
const ComplainedData = z.object({ to: Recipients });
const SuppressedData = z.object({
  to: Recipients,
  suppressed: z.object({ type: z.string().optional(), message: z.string().optional() }).optional(),
});
const SuppressionAddedData = z.object({ email: z.string(), origin: z.string().optional() });

type Decision = { action: 'suppress'; addresses: string[]; reason: string } | { action: 'ignore'; reason: string };

/** What an event means for our subscribers; `{ error }` names what a known event lacks. */
function decide(type: string, data: Record<string, unknown>): Decision | { error: string } {
  switch (type) {
    case 'email.bounced': {
      const parsed = BouncedData.safeParse(data);
      if (!parsed.success) return { error: 'data.to and data.bounce.type' };
      const { to, bounce } = parsed.data;
      // Only a Permanent (hard) bounce says the address is dead. Transient bounces (full
      // mailbox, message too large, greylisting, a server down) and Undetermined ones say
      // nothing about the address: the next update may well get through.
      if (bounce.type !== 'Permanent') {
        return { action: 'ignore', reason: `A ${bounce.type} bounce is not the address's fault: not suppressed.` };
      }
      const kind = bounce.subType ? `${bounce.type}/${bounce.subType}` : bounce.type;
      return single(to, `Bounced (${kind})${bounce.message ? `: ${bounce.message}` : ''}`);
    }
    case 'email.complained': {
      const parsed = ComplainedData.safeParse(data);
      if (!parsed.success) return { error: 'data.to' };
      return single(parsed.data.to, 'Marked as spam');
    }
    case 'email.suppressed': {
      // Resend refused to send because the address is on its suppression list: every later
      // email would be refused the same way.
      const parsed = SuppressedData.safeParse(data);
      if (!parsed.success) return { error: 'data.to' };
      const { type: kind, message } = parsed.data.suppressed ?? {};
      return single(parsed.data.to, `Suppressed by Resend${kind ? ` (${kind})` : ''}${message ? `: ${message}` : ''}`);
    }
    case 'suppression.added': {
      const parsed = SuppressionAddedData.safeParse(data);
      if (!parsed.success) return { error: 'data.email' };
      const origin = parsed.data.origin ? ` (${parsed.data.origin})` : '';
      return { action: 'suppress', addresses: [parsed.data.email], reason: `On Resend's suppression list${origin}` };
    }
    default:
      // Deliveries, opens, clicks, `email.failed` (a sending problem on our side, such as a
      // quota, not the reader's address), `suppression.removed` (lifting a suppression is a
      // person's decision) and everything else: acknowledged so Resend stops retrying.
      return { action: 'ignore', reason: 'Vigie does not act on this event.' };
  }
}

/**
 * Vigie sends one recipient per email, so an event naming one address is about that address.
 * One naming several comes from another sender on the same Resend account, and which of them
 * bounced or complained is unknown: suppressing them all could silence the wrong people.
 */
function single(to: string[], reason: string): Decision {
  if (to.length !== 1) {
    return { action: 'ignore', reason: 'The email had several recipients, so which one is meant is unknown.' };
  }
  return { action: 'suppress', addresses: [addressOf(to[0])], reason };
}

/** `Ann <ann@example.com>` → `ann@example.com`; a bare address stays as it is. */
function addressOf(recipient: string): string {
  return /<([^<>]+)>\s*$/.exec(recipient)?.[1] ?? recipient;
}

/**
 * Checks a Standard Webhooks signature (what the resend SDK's `webhooks.verify` does, through
 * the `standardwebhooks` package), here with node:crypto so that the clock can be injected
 * and a bad signature is told apart from a bad body. Returns what is wrong, or null.
 * Resend sends the `svix-*` header names; `webhook-*` are the standard's own, accepted too.
 */
function checkSignature({ rawBody, headers, secret }: ResendWebhookInput, now: Date): string | null {
  const header = (name: string) => headers.get(`svix-${name}`) ?? headers.get(`webhook-${name}`);
  const id = header('id');
  const timestamp = header('timestamp');
  const signatures = header('signature');
  if (!id || !timestamp || !signatures) {
    return 'Missing the svix-id, svix-timestamp or svix-signature header: only Resend, signing with this endpoint’s secret, may call this URL.';
  }
  if (!/^\d{1,12}$/.test(timestamp)) return 'The svix-timestamp header is not a Unix time in seconds.';
  const sent = Number(timestamp);
  const age = Math.floor(now.getTime() / 1000) - sent;
  if (age > WEBHOOK_TOLERANCE_SECONDS) return 'The signature is more than 5 minutes old: refused as a possible replay.';
  if (age < -WEBHOOK_TOLERANCE_SECONDS)
    return 'The signature is dated more than 5 minutes ahead: check the server clock.';

  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = Buffer.from(createHmac('sha256', key).update(`${id}.${sent}.${rawBody}`).digest('base64'));
  // Several space-separated `v1,<base64>` entries while a secret is being rotated.
  for (const entry of signatures.split(' ')) {
    const [version, signature] = entry.split(',', 2);
    if (version !== 'v1' || !signature) continue;
    const given = Buffer.from(signature);
    if (given.length === expected.length && timingSafeEqual(given, expected)) return null;
  }
  return 'The signature does not match: check that RESEND_WEBHOOK_SECRET is this endpoint’s signing secret.';
}
