/**
 * Sign-in and sign-out as the browser sees them: form parsing, the session cookie, session
 * rotation at sign-in, and where to go next. The pages call these and render.
 */
import type { AstroCookies } from 'astro';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import type { Caller } from '../services.ts';
import { attemptLogin } from './login.ts';
import { UnauthorizedError } from './permissions.ts';
import { createSession, deleteSession, SESSION_COOKIE, sessionCookieOptions } from './sessions.ts';

type BrowserContext = { request: Request; cookies: AstroCookies; clientAddress: string };

export type LoginForm = { email: string; next: string; error?: string; status: number; retryAfter?: number };

/** Only a path on this site: never `//evil.example` or `https://…`. */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\'))
    return '/admin';
  return value.slice(0, 500);
}

/** Handles the login form's POST: a redirect target on success, the form to re-render otherwise. */
export async function submitLogin(
  db: Db,
  config: Config,
  ctx: BrowserContext,
): Promise<{ redirect: string } | { form: LoginForm }> {
  const data = await ctx.request.formData();
  const email = String(data.get('email') ?? '').trim();
  const password = String(data.get('password') ?? '');
  const next = safeNext(data.get('next'));
  if (!email || !password) {
    return { form: { email, next, status: 400, error: 'Enter your email address and your password.' } };
  }
  const result = await attemptLogin(db, { email, password, ip: clientIp(ctx) });
  if (!result.ok) {
    if (result.reason === 'throttled') {
      const minutes = Math.ceil(result.retryAfterSeconds / 60);
      return {
        form: {
          email,
          next,
          status: 429,
          retryAfter: result.retryAfterSeconds,
          error: `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
        },
      };
    }
    return { form: { email, next, status: 400, error: 'The email address or the password is not right.' } };
  }
  // Rotation: whatever session this browser had is ended, and a new token is issued.
  const previous = ctx.cookies.get(SESSION_COOKIE)?.value;
  if (previous) await deleteSession(db, previous);
  const { token, expiresAt } = await createSession(db, result.user.id, {
    ip: clientIp(ctx),
    userAgent: ctx.request.headers.get('user-agent'),
  });
  ctx.cookies.set(SESSION_COOKIE, token, sessionCookieOptions(config.siteUrl, expiresAt));
  return { redirect: next };
}

/** Ends the browser's session and clears the cookie. */
export async function signOut(db: Db, ctx: Pick<BrowserContext, 'cookies'>): Promise<void> {
  const token = ctx.cookies.get(SESSION_COOKIE)?.value;
  if (token) await deleteSession(db, token);
  ctx.cookies.delete(SESSION_COOKIE, { path: '/' });
}

/** The client's address, or 'unknown' where there is none (prerendering, some adapters): one shared bucket. */
export function clientIp(ctx: Pick<BrowserContext, 'clientAddress'>): string {
  try {
    return ctx.clientAddress || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The service caller for the signed-in person (pages under /admin always have one: the middleware guards them). */
export function callerFrom(locals: App.Locals, clientAddress?: string): Caller {
  const user = locals.user;
  if (!user) throw new UnauthorizedError('Sign in first.');
  return { type: 'user', id: user.id, name: user.name || user.email, role: user.role, ip: clientAddress ?? null };
}
