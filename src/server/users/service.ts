import { hash, verify } from '@node-rs/argon2';
import { and, asc, count, desc, eq, getTableColumns, isNull } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { apiTokens, users } from '../../db/schema/index.ts';
import { ROLES, type Role } from '../../domain/enums.ts';
import { recordAudit, type Actor } from '../audit/service.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { hashSecret, newId, newSecret } from '../ids.ts';
import { deleteUserSessions } from '../auth/sessions.ts';
import { authorize, parseInput, type Caller } from '../services.ts';

/** argon2id (`Algorithm.Argon2id` is 2: a const enum, which isolatedModules cannot import) with OWASP's minimum: 19 MiB, 2 passes, 1 lane. */
const ARGON2_OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Hashes a password with argon2id. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

/** Checks a password against an argon2 PHC string; false on any malformed hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

export const MIN_PASSWORD_LENGTH = 12;

const CreateUser = z.object({
  email: z.email('Enter a valid email address').transform((e) => e.trim().toLowerCase()),
  role: z.enum(ROLES, `Role must be one of: ${ROLES.join(', ')}`),
  name: z.string().trim().max(200).default(''),
  password: z.string().min(MIN_PASSWORD_LENGTH, `Passwords need at least ${MIN_PASSWORD_LENGTH} characters`).max(1024),
});

/** Creates a user; throws ValidationError on bad input and ConflictError when the email is taken. */
export async function createUser(
  db: Db,
  actor: Actor,
  input: { email: string; role: string; name?: string; password: string },
) {
  const parsed = CreateUser.safeParse(input);
  if (!parsed.success) throw validationErrorFrom(parsed.error);
  const { email, role, name, password } = parsed.data;
  const passwordHash = await hashPassword(password);
  return db.transaction(async (tx) => {
    const [existing] = await tx.select({ id: users.id }).from(users).where(eq(users.email, email));
    if (existing) throw new ConflictError(`A user with the email ${email} already exists`);
    const [user] = await tx.insert(users).values({ id: newId(), email, role, name, passwordHash }).returning();
    await recordAudit(tx, actor, 'user.create', { type: 'user', id: user.id }, { email, role });
    return user;
  });
}

/** How many users exist: the first admin is only created from the environment when none do. */
export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return Number(row.n);
}

/** A random password a person can type: 20 base64url characters (120 bits). */
export function generatePassword(): string {
  return newSecret().slice(0, 20);
}

const CreateToken = z.object({
  name: z.string().trim().min(1, 'Give the token a name').max(200),
  role: z.enum(ROLES, `Role must be one of: ${ROLES.join(', ')}`),
});

/** Creates an API token. The plain token is returned once; only its hash is stored. */
export async function createApiToken(db: Db, actor: Actor, input: { name: string; role: string }) {
  const parsed = CreateToken.safeParse(input);
  if (!parsed.success) throw validationErrorFrom(parsed.error);
  const token = newSecret('vigie_');
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiTokens)
      .values({
        id: newId(),
        name: parsed.data.name,
        role: parsed.data.role as Role,
        tokenHash: hashSecret(token),
        prefix: token.slice(0, 12),
        createdBy: actor.type === 'user' ? (actor.id ?? null) : null,
      })
      .returning();
    await recordAudit(
      tx,
      actor,
      'api_token.create',
      { type: 'api_token', id: row.id },
      { name: row.name, role: row.role },
    );
    return { token, row };
  });
}

/** Turns a zod error into a ValidationError with one message per field. */
export function validationErrorFrom(error: z.ZodError): ValidationError {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.join('.') || '_';
    fields[key] ??= issue.message;
  }
  return new ValidationError(Object.values(fields).join('; '), fields);
}

const ChangePassword = z
  .object({
    current: z.string().min(1, 'Enter your current password'),
    password: z
      .string()
      .min(MIN_PASSWORD_LENGTH, `Passwords need at least ${MIN_PASSWORD_LENGTH} characters`)
      .max(1024, 'Passwords are at most 1024 characters'),
    confirm: z.string(),
  })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'The two new passwords differ' });

/**
 * Changes a user's own password after checking the current one, and ends the user's other
 * sessions (a stolen session should not survive a password change).
 */
export async function changeOwnPassword(
  db: Db,
  user: { id: string },
  input: { current: string; password: string; confirm: string },
  keepSessionHash?: string,
): Promise<void> {
  const parsed = ChangePassword.safeParse(input);
  if (!parsed.success) throw validationErrorFrom(parsed.error);
  const [row] = await db.select().from(users).where(eq(users.id, user.id));
  if (!row || !(await verifyPassword(row.passwordHash, parsed.data.current))) {
    throw new ValidationError('Your current password is not right', { current: 'Your current password is not right' });
  }
  const passwordHash = await hashPassword(parsed.data.password);
  await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, user.id));
    await deleteUserSessions(tx, user.id, keepSessionHash);
    await recordAudit(tx, { type: 'user', id: user.id, name: row.email }, 'user.password_change', {
      type: 'user',
      id: user.id,
    });
  });
}

/**
 * Creates the first admin from ADMIN_EMAIL / ADMIN_PASSWORD when both are set and no user
 * exists yet. Returns the email when it created one.
 */
export async function ensureFirstAdmin(
  db: Db,
  config: { adminEmail?: string; adminPassword?: string },
): Promise<string | null> {
  if (!config.adminEmail || !config.adminPassword || (await countUsers(db)) > 0) return null;
  try {
    const user = await createUser(
      db,
      { type: 'system', name: 'Vigie' },
      {
        email: config.adminEmail,
        password: config.adminPassword,
        role: 'admin',
        name: 'Admin',
      },
    );
    return user.email;
  } catch (err) {
    // Two instances starting together: the other one created it.
    if (err instanceof ConflictError) return null;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------
// Staff administration from the admin area ('users:manage' and 'tokens:manage': admin).
// Every verb checks the permission, writes in one transaction and records an audit entry
// with the values before and after.

export type User = typeof users.$inferSelect;
export type ApiToken = typeof apiTokens.$inferSelect;
/** A user as the admin area lists it: never the password hash. */
export type UserSummary = Omit<User, 'passwordHash'>;
/** A token as the admin area lists it: never the hash. */
export type ApiTokenSummary = Omit<ApiToken, 'tokenHash'>;

const roleField = () => z.enum(ROLES, { error: `Choose a role: ${ROLES.join(', ')}` });

/** Every user, admins first, then by email. Needs 'users:manage'. */
export async function listUsers(db: Db, caller: Caller): Promise<UserSummary[]> {
  authorize(caller, 'users:manage');
  const { passwordHash: _, ...columns } = getTableColumns(users);
  const rows = await db.select(columns).from(users).orderBy(asc(users.email));
  return rows.sort((a, b) => ROLES.indexOf(b.role) - ROLES.indexOf(a.role) || a.email.localeCompare(b.email));
}

/** One user, or NotFoundError. Needs 'users:manage'. */
export async function getUser(db: Db, caller: Caller, id: string): Promise<UserSummary> {
  authorize(caller, 'users:manage');
  const { passwordHash: _, ...columns } = getTableColumns(users);
  const [row] = await db.select(columns).from(users).where(eq(users.id, id));
  if (!row) throw new NotFoundError(`User ${id} does not exist`);
  return row;
}

/**
 * Creates a staff account. Without a password, one is generated; either way the plain
 * password is returned once (`generated` says which), and only its hash is stored.
 */
export async function addUser(
  db: Db,
  caller: Caller,
  input: { email: string; name?: string; role: string; password?: string },
): Promise<{ user: UserSummary; password: string; generated: boolean }> {
  authorize(caller, 'users:manage');
  const generated = !input.password;
  const password = input.password || generatePassword();
  const { passwordHash: _, ...user } = await createUser(db, caller, {
    email: (input.email ?? '').trim(),
    name: input.name,
    role: input.role,
    password,
  });
  return { user, password, generated };
}

/**
 * Changes a user's role and ends their sessions (the next page they open asks them to sign
 * in, with the new role). Refuses to leave Vigie without an active admin.
 */
export async function changeUserRole(db: Db, caller: Caller, id: string, role: string): Promise<UserSummary> {
  authorize(caller, 'users:manage');
  const next = parseInput(z.object({ role: roleField() }), { role }).role;
  return db.transaction(async (tx) => {
    const { user: before, activeAdminIds } = await lockForStaffChange(tx, id);
    if (before.role === next) return withoutHash(before);
    keepOneAdmin(before, activeAdminIds, 'demote');
    const [row] = await tx.update(users).set({ role: next, updatedAt: new Date() }).where(eq(users.id, id)).returning();
    await deleteUserSessions(tx, id);
    await recordAudit(
      tx,
      caller,
      'user.role_change',
      { type: 'user', id },
      { before: { role: before.role }, after: { role: next } },
    );
    return withoutHash(row);
  });
}

/**
 * Disables a user (they can no longer sign in; their sessions end) or enables them again.
 * Refuses to disable the last active admin.
 */
export async function setUserDisabled(db: Db, caller: Caller, id: string, disabled: boolean): Promise<UserSummary> {
  authorize(caller, 'users:manage');
  return db.transaction(async (tx) => {
    const { user: before, activeAdminIds } = await lockForStaffChange(tx, id);
    if (Boolean(before.disabledAt) === disabled) return withoutHash(before);
    if (disabled) keepOneAdmin(before, activeAdminIds, 'disable');
    const now = new Date();
    const [row] = await tx
      .update(users)
      .set({ disabledAt: disabled ? now : null, updatedAt: now })
      .where(eq(users.id, id))
      .returning();
    if (disabled) await deleteUserSessions(tx, id);
    await recordAudit(
      tx,
      caller,
      disabled ? 'user.disable' : 'user.enable',
      { type: 'user', id },
      { before: { disabled: !disabled }, after: { disabled } },
    );
    return withoutHash(row);
  });
}

/**
 * Gives a user a new generated password, returned once, and ends their sessions. Also
 * clears a sign-in lockout, so the person can use it at once.
 */
export async function resetUserPassword(
  db: Db,
  caller: Caller,
  id: string,
): Promise<{ user: UserSummary; password: string }> {
  authorize(caller, 'users:manage');
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  return db.transaction(async (tx) => {
    await lockUser(tx, id);
    const [row] = await tx
      .update(users)
      .set({ passwordHash, failedLogins: 0, lockedUntil: null, updatedAt: new Date() })
      .where(eq(users.id, id))
      .returning();
    await deleteUserSessions(tx, id);
    // The password itself never goes into the log.
    await recordAudit(tx, caller, 'user.password_reset', { type: 'user', id }, { after: { password: 'generated' } });
    return { user: withoutHash(row), password };
  });
}

/** Every API token, newest first (revoked ones included). Needs 'tokens:manage'. */
export async function listApiTokens(db: Db, caller: Caller): Promise<ApiTokenSummary[]> {
  authorize(caller, 'tokens:manage');
  const { tokenHash: _, ...columns } = getTableColumns(apiTokens);
  return db.select(columns).from(apiTokens).orderBy(desc(apiTokens.createdAt), asc(apiTokens.name));
}

/** Creates an API token after checking 'tokens:manage'; the plain token is returned once. */
export async function issueApiToken(
  db: Db,
  caller: Caller,
  input: { name: string; role: string },
): Promise<{ token: string; row: ApiTokenSummary }> {
  authorize(caller, 'tokens:manage');
  const { token, row } = await createApiToken(db, caller, input);
  const { tokenHash: _, ...summary } = row;
  return { token, row: summary };
}

/** Revokes an API token: it stops working at once. Revoking it again changes nothing. */
export async function revokeApiToken(db: Db, caller: Caller, id: string): Promise<ApiTokenSummary> {
  authorize(caller, 'tokens:manage');
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(apiTokens).where(eq(apiTokens.id, id)).for('update');
    if (!before) throw new NotFoundError(`API token ${id} does not exist`);
    let row = before;
    if (!before.revokedAt) {
      [row] = await tx.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, id)).returning();
      await recordAudit(
        tx,
        caller,
        'api_token.revoke',
        { type: 'api_token', id },
        { before: { name: before.name, revoked: false }, after: { name: row.name, revoked: true } },
      );
    }
    const { tokenHash: _, ...summary } = row;
    return summary;
  });
}

async function lockUser(tx: Db, id: string): Promise<User> {
  const [row] = await tx.select().from(users).where(eq(users.id, id)).for('update');
  if (!row) throw new NotFoundError(`User ${id} does not exist`);
  return row;
}

/**
 * Locks the active admins' rows (in id order, so concurrent changes queue instead of
 * deadlocking), then the user's. Two admins demoting each other at once therefore run one
 * after the other, and the second sees that the first is no longer an admin.
 */
async function lockForStaffChange(tx: Db, id: string): Promise<{ user: User; activeAdminIds: string[] }> {
  const admins = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, 'admin'), isNull(users.disabledAt)))
    .orderBy(asc(users.id))
    .for('update');
  return { user: await lockUser(tx, id), activeAdminIds: admins.map((a) => a.id) };
}

/** Throws ConflictError when `user` is the only active admin. */
function keepOneAdmin(user: User, activeAdminIds: string[], verb: 'demote' | 'disable'): void {
  if (user.role !== 'admin' || user.disabledAt) return;
  if (activeAdminIds.some((adminId) => adminId !== user.id)) return;
  throw new ConflictError(
    `${user.email} is the last active admin: make someone else an admin before you ${verb} this account.`,
  );
}

function withoutHash(row: User): UserSummary {
  const { passwordHash: _, ...rest } = row;
  return rest;
}
