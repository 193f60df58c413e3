import { hash, verify } from '@node-rs/argon2';
import { count, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { apiTokens, users } from '../../db/schema/index.ts';
import { ROLES, type Role } from '../../domain/enums.ts';
import { recordAudit, type Actor } from '../audit/service.ts';
import { ConflictError, ValidationError } from '../errors.ts';
import { hashSecret, newId, newSecret } from '../ids.ts';
import { deleteUserSessions } from '../auth/sessions.ts';

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
