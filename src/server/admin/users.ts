/**
 * The admin pages of staff accounts (/admin/users…, admin only): the list with the form
 * that creates an account, and one account's page (role, disable or enable, new password).
 * A generated password is shown once, on the answer to the form, and never stored in clear.
 */
import type { Db } from '../../db/client.ts';
import { ROLES } from '../../domain/enums.ts';
import { permissionsOf } from '../auth/permissions.ts';
import { runForm, type FormState } from '../forms.ts';
import { isId } from '../ids.ts';
import { NotFoundError } from '../errors.ts';
import type { Caller } from '../services.ts';
import {
  addUser,
  changeUserRole,
  getUser,
  listUsers,
  MIN_PASSWORD_LENGTH,
  resetUserPassword,
  setUserDisabled,
  type UserSummary,
} from '../users/service.ts';
import {
  adminChrome,
  adminPage,
  blankForm,
  placeErrors,
  refuse,
  submitted,
  text,
  when,
  type PageOutcome,
} from './page.ts';

export const ROLE_OPTIONS = ROLES.map((r) => ({ value: r, label: roleLabel(r) }));

function roleLabel(role: (typeof ROLES)[number]): string {
  const what = {
    viewer: 'reads everything, changes nothing',
    responder: 'opens incidents, posts internal updates, sets component statuses',
    comms: 'publishes to customers, maintenance, subscribers, templates',
    admin: 'everything, with users, tokens, settings and the audit log',
  }[role];
  return `${role}: ${what}`;
}

export type UserRow = {
  id: string;
  email: string;
  name: string;
  role: string;
  disabled: boolean;
  lastLogin: string;
  created: string;
  isSelf: boolean;
};

const CREATE_FIELDS = ['email', 'name', 'role', 'password'] as const;
type CreateValues = Record<(typeof CREATE_FIELDS)[number], string>;

export type UsersView = {
  rows: UserRow[];
  form: FormState<CreateValues>;
  /** Set once, right after an account is created with a generated password. */
  created: { email: string; password: string } | null;
  minPasswordLength: number;
};

/** /admin/users: GET lists; POST creates an account (email, name, role, password: empty generates one). */
export function loadUsersPage(db: Db, caller: Caller, request: Request): Promise<PageOutcome<UsersView>> {
  return adminPage<UsersView>(async () => {
    const form = await submitted(request);
    let state = blankForm<CreateValues>({ email: '', name: '', role: 'viewer', password: '' });
    let created: UsersView['created'] = null;
    if (form) {
      // Listing first checks the permission, so a refused POST changes nothing and shows the 403 page.
      await listUsers(db, caller);
      const values = Object.fromEntries(CREATE_FIELDS.map((f) => [f, text(form, f)])) as CreateValues;
      state = await runForm(values, async () => {
        const result = await addUser(db, caller, values);
        if (result.generated) created = { email: result.user.email, password: result.password };
        return `The account ${result.user.email} (${result.user.role}) is created.`;
      });
      // A password never comes back in the form, refused or not.
      state.values =
        state.status === 200 ? { email: '', name: '', role: 'viewer', password: '' } : { ...values, password: '' };
      state.errors = placeErrors(state.errors, CREATE_FIELDS);
    }
    const chrome = await adminChrome(db, request);
    const users = await listUsers(db, caller);
    return {
      status: state.status,
      view: {
        rows: users.map((u) => userRow(u, caller, chrome)),
        form: state,
        created,
        minPasswordLength: MIN_PASSWORD_LENGTH,
      },
    };
  });
}

function userRow(u: UserSummary, caller: Caller, chrome: Awaited<ReturnType<typeof adminChrome>>): UserRow {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    disabled: Boolean(u.disabledAt),
    lastLogin: u.lastLoginAt ? when(u.lastLoginAt, chrome) : 'never',
    created: when(u.createdAt, chrome),
    isSelf: caller.type === 'user' && caller.id === u.id,
  };
}

export type UserView = {
  user: UserRow;
  permissions: string[];
  /** Which form was submitted (`role`, `disabled`, `password`) and its state. */
  intent: string | null;
  form: FormState<{ role: string }>;
  /** Set once, right after a password reset. */
  newPassword: string | null;
};

/** /admin/users/{id}: GET shows; POST `intent` = role (with `role`), disable, enable or reset. */
export function loadUserPage(db: Db, caller: Caller, request: Request, id: string): Promise<PageOutcome<UserView>> {
  return adminPage<UserView>(async () => {
    if (!isId(id)) {
      await listUsers(db, caller); // a 403 for those who may not, before a 404
      throw new NotFoundError(`There is no user ${id}`);
    }
    let user = await getUser(db, caller, id);
    const form = await submitted(request);
    const intent = form ? text(form, 'intent') : null;
    let state = blankForm({ role: user.role as string });
    let newPassword: string | null = null;
    if (form) {
      const role = text(form, 'role');
      state = await runForm({ role: intent === 'role' ? role : user.role }, async () => {
        if (intent === 'role') {
          user = await changeUserRole(db, caller, id, role);
          return `${user.email} is now ${user.role}; their sessions ended, so they sign in again with the new role.`;
        }
        if (intent === 'disable' || intent === 'enable') {
          user = await setUserDisabled(db, caller, id, intent === 'disable');
          return intent === 'disable'
            ? `${user.email} is disabled: they cannot sign in, and their sessions ended.`
            : `${user.email} can sign in again.`;
        }
        if (intent === 'reset') {
          const result = await resetUserPassword(db, caller, id);
          user = result.user;
          newPassword = result.password;
          return `${user.email} has a new password; their sessions ended.`;
        }
        refuse({ _: 'This form is not one Vigie knows. Reload the page and try again.' });
      });
      state.errors = placeErrors(state.errors, ['role']);
    }
    const chrome = await adminChrome(db, request);
    return {
      status: state.status,
      view: {
        user: userRow(user, caller, chrome),
        permissions: permissionsOf(user.role),
        intent,
        form: state,
        newPassword,
      },
    };
  });
}
