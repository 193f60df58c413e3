/**
 * Browser sessions, stored in Postgres. The cookie holds a random 256-bit token; the table
 * holds only its SHA-256, so a database leak does not hand out live sessions.
 * Expiry slides: every use pushes it out by SESSION_IDLE, written at most once a minute.
 */
import { and, eq, gt, lt, ne } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { sessions, users } from '../../db/schema/index.ts';
import type { Role } from '../../domain/enums.ts';
import { hashSecret, newSecret } from '../ids.ts';

export const SESSION_COOKIE = 'vigie_session';
/** A session ends after a week without use, and after 30 days whatever happens. */
export const SESSION_IDLE_MS = 7 * 86_400_000;
export const SESSION_MAX_MS = 30 * 86_400_000;
const TOUCH_EVERY_MS = 60_000;

export type SessionUser = { id: string; email: string; name: string; role: Role };
export type Session = { tokenHash: string; csrfToken: string; expiresAt: Date; user: SessionUser };

/** Creates a session and returns the token for the cookie (the only time it exists in clear). */
export async function createSession(
  db: Db,
  userId: string,
  meta: { ip?: string | null; userAgent?: string | null } = {},
  now = new Date(),
): Promise<{ token: string; expiresAt: Date }> {
  const token = newSecret();
  const expiresAt = new Date(now.getTime() + SESSION_IDLE_MS);
  await db.insert(sessions).values({
    tokenHash: hashSecret(token),
    userId,
    csrfToken: newSecret(),
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
    ip: meta.ip ?? null,
    userAgent: meta.userAgent?.slice(0, 300) ?? null,
  });
  return { token, expiresAt };
}

/** The live session behind a cookie token, with its user; null when unknown, expired or the user is disabled. */
export async function validateSession(db: Db, token: string | undefined, now = new Date()): Promise<Session | null> {
  if (!token || token.length > 100) return null;
  const tokenHash = hashSecret(token);
  const [row] = await db
    .select({ s: sessions, u: users })
    .from(sessions)
    .innerJoin(users, eq(sessions.userId, users.id))
    .where(and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, now)));
  if (!row || row.u.disabledAt) return null;
  if (now.getTime() - row.s.createdAt.getTime() > SESSION_MAX_MS) {
    await deleteSession(db, token);
    return null;
  }
  let expiresAt = row.s.expiresAt;
  if (now.getTime() - row.s.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    expiresAt = new Date(now.getTime() + SESSION_IDLE_MS);
    await db.update(sessions).set({ lastSeenAt: now, expiresAt }).where(eq(sessions.tokenHash, tokenHash));
  }
  return {
    tokenHash,
    csrfToken: row.s.csrfToken,
    expiresAt,
    user: { id: row.u.id, email: row.u.email, name: row.u.name, role: row.u.role },
  };
}

/** Ends the session behind a cookie token. */
export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, hashSecret(token)));
}

/** Ends every session of a user (password change, role change, disabling). */
export async function deleteUserSessions(db: Db, userId: string, exceptTokenHash?: string): Promise<void> {
  await db
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), exceptTokenHash ? ne(sessions.tokenHash, exceptTokenHash) : undefined));
}

/** Removes expired sessions; the worker calls it now and then. */
export async function purgeExpiredSessions(db: Db, now = new Date()): Promise<void> {
  await db.delete(sessions).where(lt(sessions.expiresAt, now));
}

/** The cookie's attributes: HttpOnly, SameSite=Lax, Secure when the site is served over https. */
export function sessionCookieOptions(siteUrl: string, expires: Date) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: siteUrl.startsWith('https://'),
    path: '/',
    expires,
  };
}
