/**
 * Password sign-in with throttling per account and per IP. The answers never tell whether
 * an account exists: unknown emails cost the same argon2 verification, and the throttle
 * counts attempts per email string, known or not.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { users } from '../../db/schema/index.ts';
import { hitRateLimit, resetRateLimit, type RateLimit } from '../rate-limit.ts';
import { hashPassword, verifyPassword } from '../users/service.ts';
import type { SessionUser } from './sessions.ts';

export const LOGIN_LIMITS: { account: RateLimit; ip: RateLimit } = {
  /** 5 tries per address per 15 minutes: enough for typos, far too few to guess. */
  account: { limit: 5, windowSeconds: 900 },
  /** 30 per IP per 15 minutes: an office behind one NAT can still sign in. */
  ip: { limit: 30, windowSeconds: 900 },
};

export type LoginResult =
  | { ok: true; user: SessionUser }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number };

let dummyHash: Promise<string> | undefined;

/** Checks an email and password; counts the attempt against the account and the IP. */
export async function attemptLogin(
  db: Db,
  input: { email: string; password: string; ip: string },
): Promise<LoginResult> {
  // No NUL: PostgreSQL text cannot hold it, and no address has one.
  const email = input.email.replaceAll('\u0000', '').trim().toLowerCase().slice(0, 320);
  const accountKey = `login:account:${email}`;
  const [byAccount, byIp] = [
    await hitRateLimit(db, accountKey, LOGIN_LIMITS.account),
    await hitRateLimit(db, `login:ip:${input.ip}`, LOGIN_LIMITS.ip),
  ];
  if (!byAccount.allowed || !byIp.allowed) {
    const waits = [byAccount, byIp].filter((r) => !r.allowed).map((r) => r.retryAfterSeconds);
    return { ok: false, reason: 'throttled', retryAfterSeconds: Math.max(...waits) };
  }

  const [user] = email ? await db.select().from(users).where(eq(users.email, email)) : [];
  if (!user || user.disabledAt) {
    // Same work as a real check, so timing does not reveal which addresses have accounts.
    await verifyPassword(await (dummyHash ??= hashPassword('vigie-timing-equaliser')), input.password);
    return { ok: false, reason: 'invalid' };
  }
  if (!(await verifyPassword(user.passwordHash, input.password))) return { ok: false, reason: 'invalid' };

  await resetRateLimit(db, accountKey);
  await db.update(users).set({ lastLoginAt: new Date() }).where(eq(users.id, user.id));
  return { ok: true, user: { id: user.id, email: user.email, name: user.name, role: user.role } };
}
