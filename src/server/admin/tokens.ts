/**
 * The admin pages of management API tokens (/admin/tokens…, admin only): the list, the
 * form that creates one (the token is shown once, on the answer), and revoking one after a
 * confirmation.
 */
import type { Db } from '../../db/client.ts';
import { NotFoundError } from '../errors.ts';
import { runForm, type FormState } from '../forms.ts';
import { isId } from '../ids.ts';
import type { Caller } from '../services.ts';
import { issueApiToken, listApiTokens, listUsers, revokeApiToken, type ApiTokenSummary } from '../users/service.ts';
import { adminChrome, adminPage, blankForm, placeErrors, submitted, text, when, type PageOutcome } from './page.ts';
import { ROLE_OPTIONS } from './users.ts';

export { ROLE_OPTIONS };
export const TOKENS_PATH = '/admin/tokens';

export type TokenRow = {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdBy: string;
  created: string;
  lastUsed: string;
  revoked: string | null;
};

export type TokensView = {
  rows: TokenRow[];
  form: FormState<{ name: string; role: string }>;
  /** Set once, right after a token is created. */
  created: { name: string; token: string } | null;
  notice?: string;
};

const NOTICES: Record<string, string> = { revoked: 'The token is revoked: calls that use it now get 401.' };

/** /admin/tokens: GET lists; POST creates a token (name, role). */
export function loadTokensPage(db: Db, caller: Caller, request: Request): Promise<PageOutcome<TokensView>> {
  return adminPage<TokensView>(async () => {
    // Listing first checks the permission: a refused POST changes nothing and shows the 403 page.
    await listApiTokens(db, caller);
    const form = await submitted(request);
    let state = blankForm({ name: '', role: 'responder' });
    let created: TokensView['created'] = null;
    if (form) {
      const values = { name: text(form, 'name'), role: text(form, 'role') };
      state = await runForm(values, async () => {
        const { token, row } = await issueApiToken(db, caller, values);
        created = { name: row.name, token };
        return `The token “${row.name}” (${row.role}) is created.`;
      });
      if (state.status === 200) state.values = { name: '', role: 'responder' };
      state.errors = placeErrors(state.errors, ['name', 'role']);
    }
    const chrome = await adminChrome(db, request);
    const names = new Map((await listUsers(db, caller)).map((u) => [u.id, u.email]));
    const tokens = await listApiTokens(db, caller);
    return {
      status: state.status,
      view: {
        rows: tokens.map((t) => tokenRow(t, names, chrome)),
        form: state,
        created,
        notice: form ? undefined : NOTICES[new URL(request.url).searchParams.get('done') ?? ''],
      },
    };
  });
}

function tokenRow(
  t: ApiTokenSummary,
  names: Map<string, string>,
  chrome: Awaited<ReturnType<typeof adminChrome>>,
): TokenRow {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    prefix: `${t.prefix}…`,
    createdBy: t.createdBy ? (names.get(t.createdBy) ?? 'a deleted user') : 'the command line',
    created: when(t.createdAt, chrome),
    lastUsed: t.lastUsedAt ? when(t.lastUsedAt, chrome) : 'never',
    revoked: t.revokedAt ? when(t.revokedAt, chrome) : null,
  };
}

export type RevokeView = { token: TokenRow; form: FormState };

/** /admin/tokens/{id}: GET shows the token and asks; POST revokes it and goes back to the list. */
export function loadTokenRevoke(
  db: Db,
  caller: Caller,
  request: Request,
  id: string,
): Promise<PageOutcome<RevokeView>> {
  return adminPage<RevokeView>(async () => {
    const tokens = await listApiTokens(db, caller);
    const token = isId(id) ? tokens.find((t) => t.id === id) : undefined;
    if (!token) throw new NotFoundError(`There is no API token ${id}`);
    const form = await submitted(request);
    const state = form
      ? await runForm({}, async () => {
          await revokeApiToken(db, caller, token.id);
        })
      : blankForm({});
    if (form && state.status === 200) return { redirect: `${TOKENS_PATH}?done=revoked` };
    const chrome = await adminChrome(db, request);
    const names = new Map((await listUsers(db, caller)).map((u) => [u.id, u.email]));
    return { status: state.status, view: { token: tokenRow(token, names, chrome), form: state } };
  });
}
