/** Callers for service tests: one API-token principal per role, and Vigie itself. */
import type { Role } from '../../src/domain/enums.ts';
import type { Principal } from '../../src/server/auth/api-tokens.ts';
import type { Caller } from '../../src/server/services.ts';

export const as = (role: Role): Principal => ({ type: 'token', id: `tok-${role}`, name: `${role} token`, role });

export const viewer = as('viewer');
export const responder = as('responder');
export const comms = as('comms');
export const admin = as('admin');
export const system: Caller = { type: 'system', name: 'test' };
