/**
 * Who may do what: the one table every admin route and API call checks (README "Roles").
 * Each role can do everything the roles before it can.
 */
import { ROLES, type Role } from '../../domain/enums.ts';
import { ServiceError } from '../errors.ts';

export const PERMISSIONS = {
  /** The internal status page and every admin list. */
  'internal:read': 'viewer',
  /** Open an incident (internal until someone allowed to publish makes it public). */
  'incident:create': 'responder',
  /** Post internal updates, edit the incident's process fields (roles, links, assessment). */
  'incident:update': 'responder',
  /** Change a component's status by hand. */
  'component:status': 'responder',
  /** Anything customers see: public incidents, public updates, resolving a public incident. */
  'incident:publish': 'comms',
  /** Email subscribers about an update. */
  'subscribers:notify': 'comms',
  'templates:manage': 'comms',
  'maintenance:manage': 'comms',
  'subscribers:manage': 'comms',
  /** Create, edit, reorder and delete components and groups. */
  'components:manage': 'admin',
  'users:manage': 'admin',
  'tokens:manage': 'admin',
  /** Register outgoing webhooks, see their secrets and deliveries. */
  'webhooks:manage': 'admin',
  'settings:manage': 'admin',
  'audit:read': 'admin',
} as const satisfies Record<string, Role>;

export type Permission = keyof typeof PERMISSIONS;

/** Whether a role holds a permission. */
export function can(role: Role, permission: Permission): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(PERMISSIONS[permission]);
}

/** The permissions a role holds, for the README table and the UI. */
export function permissionsOf(role: Role): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((p) => can(role, p));
}

/** No or bad credentials: 401. */
export class UnauthorizedError extends ServiceError {
  override readonly status = 401;
}

/** Authenticated, but the role does not allow it: 403. */
export class ForbiddenError extends ServiceError {
  override readonly status = 403;
}

/** Throws ForbiddenError unless the role holds the permission. */
export function requirePermission(principal: { role: Role }, permission: Permission): void {
  if (!can(principal.role, permission)) {
    throw new ForbiddenError(
      `Your role (${principal.role}) cannot do this: it needs ${PERMISSIONS[permission]} or above (${permission}).`,
    );
  }
}
