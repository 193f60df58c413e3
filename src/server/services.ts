/**
 * What every write service shares: who is calling and whether they may (`authorize`), and
 * how input is checked (`parseInput`, `Problems`). The admin UI and the management API call
 * the same services, so the answers below are the same in both.
 *
 * Field names in a ValidationError are the management API's snake_case names
 * (`scheduled_until`, `components.abc123`): the API returns them as they are, and the admin
 * forms name their inputs the same way, so a message lands next to its field in both.
 */
import type { z } from 'zod';
import type { Role } from '../domain/enums.ts';
import type { Actor } from './audit/service.ts';
import { ForbiddenError, requirePermission, type Permission } from './auth/permissions.ts';
import { ValidationError } from './errors.ts';

/**
 * Who calls a service: a signed-in person or an API token (a Principal, with a role), or
 * Vigie itself (`type: 'system'` without a role: the seed, schedules, the CLI), which is
 * trusted because no request reaches it.
 */
export type Caller = Actor & { role?: Role };

/** Throws ForbiddenError unless the caller holds the permission (see README "Roles"). */
export function authorize(caller: Caller, permission: Permission): void {
  if (caller.type === 'system' && caller.role === undefined) return;
  if (!caller.role) throw new ForbiddenError('This caller has no role, so it may not change anything.');
  requirePermission({ role: caller.role }, permission);
}

/** Whether the caller holds the permission, for code that adapts rather than refuses. */
export function allowed(caller: Caller, permission: Permission): boolean {
  try {
    authorize(caller, permission);
    return true;
  } catch {
    return false;
  }
}

/**
 * `scheduledUntil` → `scheduled_until`. Only camelCase names change: ids (lowercase) and
 * whatever a client sent as a map key pass through as they are.
 */
export function snakeCase(name: string): string {
  if (!/^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+$/.test(name)) return name;
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Parses service input with a zod schema; a failure becomes a ValidationError naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const problems = new Problems();
  // Text PostgreSQL refuses: named here, rather than a failure at the insert.
  for (const path of pathsWithUnstorableText(input)) {
    problems.add(path.map((p) => snakeCase(String(p))).join('.') || '_', UNSTORABLE_MESSAGE);
  }
  problems.throwIfAny();
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const field = issue.path.map((p) => snakeCase(String(p))).join('.') || '_';
    problems.add(field, issue.message);
  }
  problems.throwIfAny();
  throw new ValidationError('The input is not valid');
}

const UNSTORABLE_MESSAGE =
  'Contains a character that cannot be stored (a NUL character, U+0000, or a lone UTF-16 surrogate): remove it';

/** Text PostgreSQL refuses: U+0000 anywhere, or a lone surrogate (jsonb rejects its escape). */
export function isUnstorableText(text: string): boolean {
  return text.includes('\u0000') || !text.isWellFormed();
}

/** The paths of the strings (values or keys) in `value` that PostgreSQL cannot store (isUnstorableText). */
export function pathsWithUnstorableText(
  value: unknown,
  path: (string | number)[] = [],
  depth = 0,
): (string | number)[][] {
  if (typeof value === 'string') return isUnstorableText(value) ? [path] : [];
  if (depth > 20 || value === null || typeof value !== 'object' || value instanceof Date) return [];
  const found: (string | number)[][] = [];
  for (const [key, inner] of Object.entries(value)) {
    const at = [...path, Array.isArray(value) ? Number(key) : key];
    if (isUnstorableText(key)) found.push(at);
    else found.push(...pathsWithUnstorableText(inner, at, depth + 1));
  }
  return found;
}

/** Collects field problems found after parsing (unknown ids, rules across fields) and throws them together. */
export class Problems {
  readonly fields: Record<string, string> = {};

  /** Records a problem; the first message for a field wins. `field` is the API's name. */
  add(field: string, message: string): void {
    this.fields[field] ??= message;
  }

  get any(): boolean {
    return Object.keys(this.fields).length > 0;
  }

  throwIfAny(): void {
    if (this.any) throw new ValidationError(Object.values(this.fields).join('; '), { ...this.fields });
  }
}

/** Throws a ValidationError about one field. */
export function invalid(field: string, message: string): never {
  throw new ValidationError(message, { [field]: message });
}

/** True when a database error (or one of its causes) is a unique violation, optionally of one index. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, constraint_name, constraint: pgliteConstraint } = e as Record<string, unknown>;
    if (code === '23505') {
      const name = constraint_name ?? pgliteConstraint;
      return constraint === undefined || name === undefined || name === constraint;
    }
  }
  return false;
}

/** The entries of `after` that differ from `before`, as `{ before, after }` for an audit entry. */
export function changes(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const out = { before: {} as Record<string, unknown>, after: {} as Record<string, unknown> };
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    if (JSON.stringify(before[key] ?? null) === JSON.stringify(value ?? null)) continue;
    out.before[key] = before[key] ?? null;
    out.after[key] = value;
  }
  return out;
}
