/**
 * Bearer-token authentication for the management API. Tokens are looked up by their
 * SHA-256; the plain token is never stored.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { apiTokens } from '../../db/schema/index.ts';
import type { Role } from '../../domain/enums.ts';
import type { Actor } from '../audit/service.ts';
import { hashSecret } from '../ids.ts';
import { UnauthorizedError } from './permissions.ts';

/** An authenticated caller: who it is for the audit log, and the role the permission checks read. */
export type Principal = Actor & { role: Role };

/** Reads `Authorization: Bearer <token>` and returns the token's principal; throws UnauthorizedError otherwise. */
export async function authenticateBearer(db: Db, authorization: string | null): Promise<Principal> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) throw new UnauthorizedError('Send an API token as "Authorization: Bearer <token>".');
  const [row] = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hashSecret(match[1])), isNull(apiTokens.revokedAt)));
  if (!row) throw new UnauthorizedError('This API token is not valid (unknown or revoked).');
  // Last use, to at most once a minute: cheap enough on every call.
  const now = new Date();
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
    await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id));
  }
  return { type: 'token', id: row.id, name: `API token "${row.name}"`, role: row.role };
}
