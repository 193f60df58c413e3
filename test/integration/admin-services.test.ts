/**
 * The services behind the admin sections: staff accounts (with the last-admin rule), API
 * tokens, page settings, audit log reads, and the admin pages' own logic (wall-clock times
 * in the page's zone, the CSV import, reordering).
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, outbox, sessions, settings, users } from '../../src/db/schema/index.ts';
import type { Role } from '../../src/domain/enums.ts';
import { instantToZonedLocal, zonedLocalToInstant } from '../../src/server/admin/maintenance.ts';
import { loadComponentsPage } from '../../src/server/admin/components.ts';
import { importSubscribers, parseCsv } from '../../src/server/admin/subscribers.ts';
import { listAuditEntries } from '../../src/server/audit/queries.ts';
import { recordAudit } from '../../src/server/audit/service.ts';
import { authenticateBearer } from '../../src/server/auth/api-tokens.ts';
import { ForbiddenError, UnauthorizedError } from '../../src/server/auth/permissions.ts';
import { createSession, validateSession } from '../../src/server/auth/sessions.ts';
import { listComponents, listGroups } from '../../src/server/components/queries.ts';
import { createComponent, createGroup } from '../../src/server/components/service.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../src/server/errors.ts';
import type { Caller } from '../../src/server/services.ts';
import { getSettings } from '../../src/server/settings/queries.ts';
import { defaultSeverityDefinitions, updateSettings } from '../../src/server/settings/service.ts';
import { listSubscribers } from '../../src/server/subscribers/queries.ts';
import {
  addUser,
  changeUserRole,
  getUser,
  issueApiToken,
  listApiTokens,
  listUsers,
  resetUserPassword,
  revokeApiToken,
  setUserDisabled,
  verifyPassword,
} from '../../src/server/users/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { admin, comms, responder, system, viewer } from '../helpers/principals.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());
const db = () => t.handle.db;

const NOT_ADMINS = [viewer, responder, comms];

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (e: unknown) => e,
  );
}

async function fieldsOf(promise: Promise<unknown>): Promise<Record<string, string>> {
  const err = await failure(promise);
  expect(err).toBeInstanceOf(ValidationError);
  return (err as ValidationError).fields;
}

/** The audit entries of one entity, oldest first. */
async function auditOf(entityId: string) {
  const rows = await db().select().from(auditLog).where(eq(auditLog.entityId, entityId));
  return rows.sort((a, b) => a.id - b.id);
}

let seq = 0;
/** A fresh user of a role, with a signed-in session; returns the user and a caller acting as them. */
async function person(role: Role) {
  const { user, password } = await addUser(db(), system, { email: `p${++seq}-${role}@example.com`, role });
  const { token } = await createSession(db(), user.id);
  const caller: Caller = { type: 'user', id: user.id, name: user.email, role };
  return { user, password, token, caller };
}

describe('staff accounts', () => {
  it('only admins list and create accounts; a generated password is returned once and only its hash is kept', async () => {
    for (const caller of NOT_ADMINS) {
      await expect(listUsers(db(), caller)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(addUser(db(), caller, { email: 'x@example.com', role: 'viewer' })).rejects.toBeInstanceOf(
        ForbiddenError,
      );
    }
    const made = await addUser(db(), admin, { email: ' Ann@Example.com ', name: 'Ann', role: 'comms' });
    expect(made.generated).toBe(true);
    expect(made.password.length).toBeGreaterThanOrEqual(20);
    expect(made.user).toMatchObject({ email: 'ann@example.com', name: 'Ann', role: 'comms' });
    expect(made.user).not.toHaveProperty('passwordHash');
    const [row] = await db().select().from(users).where(eq(users.id, made.user.id));
    expect(row.passwordHash).not.toContain(made.password);
    expect(await verifyPassword(row.passwordHash, made.password)).toBe(true);

    const chosen = await addUser(db(), admin, {
      email: 'bob@example.com',
      role: 'viewer',
      password: 'a-long-password-1',
    });
    expect(chosen).toMatchObject({ generated: false, password: 'a-long-password-1' });

    const listed = await listUsers(db(), admin);
    expect(listed.map((u) => u.email)).toEqual(expect.arrayContaining(['ann@example.com', 'bob@example.com']));
    expect(listed.every((u) => !('passwordHash' in u))).toBe(true);
    const audit = await auditOf(made.user.id);
    expect(audit.map((a) => [a.action, a.actorName])).toEqual([['user.create', 'admin token']]);
  });

  it('names each bad field, and refuses a taken address', async () => {
    expect(await fieldsOf(addUser(db(), admin, { email: 'nope', role: 'boss', password: 'short' }))).toEqual({
      email: 'Enter a valid email address',
      role: expect.stringContaining('Role must be one of'),
      password: 'Passwords need at least 12 characters',
    });
    await expect(addUser(db(), admin, { email: 'ANN@example.com', role: 'viewer' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(getUser(db(), admin, 'nosuchuser00')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('changes a role, ends that person’s sessions and audits before and after', async () => {
    const p = await person('viewer');
    for (const caller of NOT_ADMINS) {
      await expect(changeUserRole(db(), caller, p.user.id, 'admin')).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect(await fieldsOf(changeUserRole(db(), admin, p.user.id, 'root'))).toEqual({
      role: expect.stringContaining('Choose a role'),
    });
    expect(await validateSession(db(), p.token)).not.toBeNull();
    const changed = await changeUserRole(db(), admin, p.user.id, 'responder');
    expect(changed.role).toBe('responder');
    expect(await validateSession(db(), p.token)).toBeNull();
    const entry = (await auditOf(p.user.id)).at(-1)!;
    expect(entry).toMatchObject({
      action: 'user.role_change',
      detail: { before: { role: 'viewer' }, after: { role: 'responder' } },
    });
    // The same role again changes nothing and records nothing.
    await changeUserRole(db(), admin, p.user.id, 'responder');
    expect((await auditOf(p.user.id)).at(-1)!.id).toBe(entry.id);
    await expect(changeUserRole(db(), admin, 'nosuchuser00', 'viewer')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('disables (sessions end, sign-in refused) and enables again', async () => {
    const p = await person('comms');
    for (const caller of NOT_ADMINS) {
      await expect(setUserDisabled(db(), caller, p.user.id, true)).rejects.toBeInstanceOf(ForbiddenError);
    }
    const off = await setUserDisabled(db(), admin, p.user.id, true);
    expect(off.disabledAt).not.toBeNull();
    expect(await db().select().from(sessions).where(eq(sessions.userId, p.user.id))).toEqual([]);
    const { token } = await createSession(db(), p.user.id);
    expect(await validateSession(db(), token)).toBeNull();
    const on = await setUserDisabled(db(), admin, p.user.id, false);
    expect(on.disabledAt).toBeNull();
    expect(await validateSession(db(), token)).not.toBeNull();
    expect((await auditOf(p.user.id)).map((a) => [a.action, a.detail])).toEqual([
      ['user.create', expect.anything()],
      ['user.disable', { before: { disabled: false }, after: { disabled: true } }],
      ['user.enable', { before: { disabled: true }, after: { disabled: false } }],
    ]);
  });

  it('resets a password: a new generated one works, the old one and the sessions do not, nothing secret is logged', async () => {
    const p = await person('responder');
    await db()
      .update(users)
      .set({ failedLogins: 5, lockedUntil: new Date(Date.now() + 60_000) })
      .where(eq(users.id, p.user.id));
    for (const caller of NOT_ADMINS) {
      await expect(resetUserPassword(db(), caller, p.user.id)).rejects.toBeInstanceOf(ForbiddenError);
    }
    const { password } = await resetUserPassword(db(), admin, p.user.id);
    const [row] = await db().select().from(users).where(eq(users.id, p.user.id));
    expect(await verifyPassword(row.passwordHash, password)).toBe(true);
    expect(await verifyPassword(row.passwordHash, p.password)).toBe(false);
    expect(row).toMatchObject({ failedLogins: 0, lockedUntil: null });
    expect(await validateSession(db(), p.token)).toBeNull();
    const entry = (await auditOf(p.user.id)).at(-1)!;
    expect(entry.action).toBe('user.password_reset');
    expect(JSON.stringify(entry.detail)).not.toContain(password);
  });
});

describe('the last active admin', () => {
  it('cannot be demoted or disabled, by themselves or anyone; disabled admins do not count', async () => {
    // A database of its own: the admins of the other tests would count.
    const own = await createTestDatabase();
    try {
      const d = own.handle.db;
      const { user: first } = await addUser(d, system, { email: 'first@example.com', role: 'admin' });
      const me: Caller = { type: 'user', id: first.id, name: first.email, role: 'admin' };
      for (const attempt of [
        () => changeUserRole(d, me, first.id, 'comms'),
        () => setUserDisabled(d, me, first.id, true),
        () => changeUserRole(d, system, first.id, 'viewer'),
      ]) {
        const err = await failure(attempt());
        expect(err).toBeInstanceOf(ConflictError);
        expect((err as Error).message).toContain('first@example.com is the last active admin');
      }
      // A disabled second admin does not help.
      const { user: second } = await addUser(d, system, { email: 'second@example.com', role: 'admin' });
      await setUserDisabled(d, me, second.id, true);
      await expect(changeUserRole(d, me, first.id, 'viewer')).rejects.toBeInstanceOf(ConflictError);
      // An active one does: then the first may step down, and the second becomes the last.
      await setUserDisabled(d, me, second.id, false);
      expect((await changeUserRole(d, me, first.id, 'viewer')).role).toBe('viewer');
      const other: Caller = { type: 'user', id: second.id, name: second.email, role: 'admin' };
      await expect(setUserDisabled(d, other, second.id, true)).rejects.toBeInstanceOf(ConflictError);
      expect((await getUser(d, other, second.id)).role).toBe('admin');
    } finally {
      await own.drop();
    }
  });

  it('two admins demoting each other at once: one wins, one admin is left', async () => {
    const own = await createTestDatabase();
    try {
      const d = own.handle.db;
      const a = (await addUser(d, system, { email: 'a@example.com', role: 'admin' })).user;
      const b = (await addUser(d, system, { email: 'b@example.com', role: 'admin' })).user;
      const as = (u: typeof a): Caller => ({ type: 'user', id: u.id, name: u.email, role: 'admin' });
      // Open the pool's connections first (Postgres), so the two transactions really overlap.
      await Promise.all([1, 2, 3, 4].map(() => d.execute(sql`select pg_sleep(0.05)`)));
      const results = await Promise.allSettled([
        changeUserRole(d, as(a), b.id, 'viewer'),
        changeUserRole(d, as(b), a.id, 'viewer'),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(ConflictError);
      const admins = await d.select().from(users).where(eq(users.role, 'admin'));
      expect(admins).toHaveLength(1);
    } finally {
      await own.drop();
    }
  });
});

describe('API tokens', () => {
  it('only admins list, create and revoke; a revoked token stops working at once', async () => {
    for (const caller of NOT_ADMINS) {
      await expect(listApiTokens(db(), caller)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(issueApiToken(db(), caller, { name: 'x', role: 'viewer' })).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect(await fieldsOf(issueApiToken(db(), admin, { name: ' ', role: 'god' }))).toEqual({
      name: 'Give the token a name',
      role: expect.stringContaining('Role must be one of'),
    });
    const { token, row } = await issueApiToken(db(), admin, { name: 'Alertmanager', role: 'responder' });
    expect(token.startsWith(row.prefix)).toBe(true);
    expect(row).not.toHaveProperty('tokenHash');
    const listed = await listApiTokens(db(), admin);
    expect(listed.find((x) => x.id === row.id)).toMatchObject({ name: 'Alertmanager', revokedAt: null });
    expect(listed.every((x) => !('tokenHash' in x))).toBe(true);
    expect((await authenticateBearer(db(), `Bearer ${token}`)).role).toBe('responder');

    for (const caller of NOT_ADMINS) {
      await expect(revokeApiToken(db(), caller, row.id)).rejects.toBeInstanceOf(ForbiddenError);
    }
    const revoked = await revokeApiToken(db(), admin, row.id);
    expect(revoked.revokedAt).not.toBeNull();
    await expect(authenticateBearer(db(), `Bearer ${token}`)).rejects.toBeInstanceOf(UnauthorizedError);
    // Revoking again changes nothing and records nothing more.
    await revokeApiToken(db(), admin, row.id);
    expect((await auditOf(row.id)).map((a) => [a.action, a.detail])).toEqual([
      ['api_token.create', { name: 'Alertmanager', role: 'responder' }],
      [
        'api_token.revoke',
        { before: { name: 'Alertmanager', revoked: false }, after: { name: 'Alertmanager', revoked: true } },
      ],
    ]);
    await expect(revokeApiToken(db(), admin, 'nosuchtoken0')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('page settings', () => {
  it('only admins change them; each bad field is named', async () => {
    for (const caller of NOT_ADMINS) {
      await expect(updateSettings(db(), caller, { pageName: 'X' })).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect(
      await fieldsOf(
        updateSettings(db(), admin, {
          pageName: ' ',
          homeUrl: 'javascript:alert(1)',
          logoUrl: '//elsewhere.example/logo.png',
          accentColor: 'blue',
          timeZone: '+02:00',
          locale: 'not a locale!',
          emailFrom: 'nobody',
          severityDefinitions: {
            1: { label: '', description: 'x' },
            2: { label: 'Sev 2', description: ' ' },
            3: { label: 'Sev 3', description: 'ok' },
          },
        }),
      ),
    ).toEqual({
      page_name: 'Give the page a name',
      home_url: 'Enter an http:// or https:// address',
      logo_url: 'Enter an http:// or https:// address, or a path starting with /',
      accent_color: 'Enter a colour as #rrggbb, e.g. #0a66c2',
      time_zone: 'Use a time zone name such as Europe/Paris or UTC (not an offset)',
      locale: 'Enter a locale such as en or fr-FR',
      email_from: expect.stringContaining('Enter an address like'),
      'severity_definitions.1.label': 'Give the severity a name',
      'severity_definitions.2.description': 'Describe this severity',
    });
    expect((await fieldsOf(updateSettings(db(), admin, { timeZone: 'Mars/Olympus' }))).time_zone).toBeTruthy();
    expect(await fieldsOf(updateSettings(db(), admin, {}))).toEqual({
      _: expect.stringContaining('Nothing to change'),
    });
  });

  it('saves, audits what changed, and tells the public page to refresh', async () => {
    const before = await getSettings(db());
    const queued = (await db().select().from(outbox).where(eq(outbox.topic, 'snapshot.invalidate'))).length;
    const definitions = defaultSeverityDefinitions();
    definitions[1] = { ...definitions[1], label: 'P1', description: 'Everything is down.' };
    const saved = await updateSettings(db(), admin, {
      pageName: '  Acme Status ',
      homeUrl: 'https://acme.example',
      logoUrl: '/brand/logo.svg',
      accentColor: '#0A66C2',
      timeZone: 'Europe/Paris',
      locale: 'en-gb',
      emailFrom: 'Acme Status <status@acme.example>',
      severityDefinitions: definitions,
    });
    expect(saved).toMatchObject({
      pageName: 'Acme Status',
      homeUrl: 'https://acme.example',
      logoUrl: '/brand/logo.svg',
      accentColor: '#0a66c2',
      timeZone: 'Europe/Paris',
      locale: 'en-GB',
      emailFrom: 'Acme Status <status@acme.example>',
      severityDefinitions: definitions,
    });
    const [entry] = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'settings.update'), eq(auditLog.entityType, 'settings')));
    expect(entry.detail).toMatchObject({
      before: { pageName: before.pageName, timeZone: before.timeZone, homeUrl: null },
      after: { pageName: 'Acme Status', timeZone: 'Europe/Paris', homeUrl: 'https://acme.example' },
    });
    expect((await db().select().from(outbox).where(eq(outbox.topic, 'snapshot.invalidate'))).length).toBe(queued + 1);

    // Definitions equal to the defaults are stored as "the defaults"; '' clears the link.
    const reset = await updateSettings(db(), admin, {
      homeUrl: '',
      logoUrl: '',
      accentColor: null,
      severityDefinitions: defaultSeverityDefinitions(),
    });
    expect(reset).toMatchObject({ homeUrl: null, logoUrl: null, accentColor: null, severityDefinitions: null });
    // Saving the same values again records nothing.
    const count = (await db().select().from(auditLog).where(eq(auditLog.action, 'settings.update'))).length;
    await updateSettings(db(), admin, { pageName: 'Acme Status' });
    expect((await db().select().from(auditLog).where(eq(auditLog.action, 'settings.update'))).length).toBe(count);
    const [row] = await db().select().from(settings);
    expect(row.pageName).toBe('Acme Status');
  });
});

describe('audit log reads', () => {
  it('filters by actor, action (or family), entity and dates, newest first, 50 a page; admin only', async () => {
    const own = await createTestDatabase();
    try {
      const d = own.handle.db;
      const ann = { type: 'user' as const, id: 'annid0000000', name: 'Ann Lee' };
      const bot = { type: 'token' as const, id: 'tok000000000', name: 'API token "deploy"' };
      const day = (n: number) => new Date(Date.UTC(2026, 0, n, 12));
      for (let i = 0; i < 60; i++) await recordAudit(d, bot, 'component.status', { type: 'component', id: `c${i}` });
      await recordAudit(d, ann, 'user.create', { type: 'user', id: 'u1' }, { after: { role: 'viewer' } });
      await recordAudit(d, ann, 'user.role_change', { type: 'user', id: 'u1' });
      await recordAudit(d, ann, 'user_group.create', { type: 'x', id: 'y' });
      const all = await d.select().from(auditLog);
      // Spread them over January: entry i on day 1 + (i % 20).
      for (const [i, row] of all.entries()) {
        await d
          .update(auditLog)
          .set({ at: day(1 + (i % 20)) })
          .where(eq(auditLog.id, row.id));
      }

      for (const caller of NOT_ADMINS) {
        await expect(listAuditEntries(d, caller)).rejects.toBeInstanceOf(ForbiddenError);
      }
      const first = await listAuditEntries(d, admin);
      expect(first.total).toBe(63);
      expect(first.entries).toHaveLength(50);
      const times = first.entries.map((e) => e.at.getTime());
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      expect((await listAuditEntries(d, admin, {}, { page: 2 })).entries).toHaveLength(13);

      expect((await listAuditEntries(d, admin, { actor: 'ann' })).total).toBe(3);
      expect((await listAuditEntries(d, admin, { actor: 'tok000000000' })).total).toBe(60);
      // A family matches `user.*` but not `user_group.*`; a full name matches itself.
      expect((await listAuditEntries(d, admin, { action: 'user' })).entries.map((e) => e.action).sort()).toEqual([
        'user.create',
        'user.role_change',
      ]);
      expect((await listAuditEntries(d, admin, { action: 'user.create' })).total).toBe(1);
      expect((await listAuditEntries(d, admin, { entityType: 'user', entityId: 'u1' })).total).toBe(2);
      expect((await listAuditEntries(d, admin, { actor: '%' })).total).toBe(0);
      const range = await listAuditEntries(d, admin, { from: day(3), until: day(5) });
      expect(range.entries.every((e) => e.at >= day(3) && e.at < day(5))).toBe(true);
      expect(range.total).toBeGreaterThan(0);
    } finally {
      await own.drop();
    }
  });
});

describe('wall-clock times in the page’s zone (the maintenance form)', () => {
  it('reads datetime-local values in the zone, across DST changes', () => {
    expect(zonedLocalToInstant('2026-01-15T09:30', 'Europe/Paris')!.toISOString()).toBe('2026-01-15T08:30:00.000Z');
    expect(zonedLocalToInstant('2026-07-15T09:30', 'Europe/Paris')!.toISOString()).toBe('2026-07-15T07:30:00.000Z');
    expect(zonedLocalToInstant('2026-07-15T09:30', 'America/New_York')!.toISOString()).toBe('2026-07-15T13:30:00.000Z');
    expect(zonedLocalToInstant('2026-07-15T09:30:15', 'UTC')!.toISOString()).toBe('2026-07-15T09:30:15.000Z');
    // Clocks go forward at 02:00 on 29 March 2026 in Paris: 02:30 does not exist, it reads as 03:30 CEST.
    expect(zonedLocalToInstant('2026-03-29T02:30', 'Europe/Paris')!.toISOString()).toBe('2026-03-29T01:30:00.000Z');
    // They go back at 03:00 on 25 October: 02:30 happens twice, the first (CEST) wins.
    expect(zonedLocalToInstant('2026-10-25T02:30', 'Europe/Paris')!.toISOString()).toBe('2026-10-25T00:30:00.000Z');
    for (const bad of [
      '',
      '0099-01-01T10:00',
      '2026-02-30T10:00',
      '2026-13-01T10:00',
      '2026-01-01 10:00',
      '2026-01-01T24:00',
      'x',
    ]) {
      expect(zonedLocalToInstant(bad, 'Europe/Paris'), bad).toBeNull();
    }
  });

  it('writes an instant back as the zone’s wall clock', () => {
    expect(instantToZonedLocal(new Date('2026-07-15T07:30:00Z'), 'Europe/Paris')).toBe('2026-07-15T09:30');
    expect(instantToZonedLocal(new Date('2026-01-15T08:30:00Z'), 'Asia/Kolkata')).toBe('2026-01-15T14:00');
  });
});

describe('subscriber import', () => {
  it('reads CSV with quotes, CRLF and the line each record starts on', () => {
    expect(parseCsv('email,components\r\n"a@x.io","c1;c2"\r\n\r\n"multi\nline",z\nlast@x.io')).toEqual([
      { line: 1, cells: ['email', 'components'] },
      { line: 2, cells: ['a@x.io', 'c1;c2'] },
      { line: 3, cells: [''] },
      { line: 4, cells: ['multi\nline', 'z'] },
      { line: 6, cells: ['last@x.io'] },
    ]);
    expect(parseCsv('"say ""hi""",b')).toEqual([{ line: 1, cells: ['say "hi"', 'b'] }]);
  });

  it('imports confirmed, and reports added, duplicates and invalid lines; comms and admin only', async () => {
    const pub = await createComponent(db(), system, { name: 'Imported API' });
    const secret = await createComponent(db(), system, { name: 'Imported secret', visibility: 'internal' });
    for (const caller of [viewer, responder]) {
      await expect(importSubscribers(db(), caller, 'a@example.com')).rejects.toBeInstanceOf(ForbiddenError);
    }
    const plain = await importSubscribers(
      db(),
      comms,
      '\uFEFFone@import.example\n\n two@import.example \nnot-an-email\none@import.example\n',
    );
    expect(plain).toEqual({
      added: 2,
      duplicates: [5],
      invalid: [{ line: 4, value: 'not-an-email', message: 'Enter a valid email address' }],
    });
    const csv = [
      'name,Email,components',
      `Ann,ann@import.example,${pub.id}`,
      `Bob,bob@import.example,${pub.id};${secret.id}`,
      'Two,two@import.example,',
      `Cy,cy@import.example,`,
    ].join('\n');
    const report = await importSubscribers(db(), admin, csv);
    expect(report).toEqual({
      added: 2,
      duplicates: [4],
      invalid: [{ line: 3, value: 'bob@import.example', message: `Not a public component: ${secret.id}` }],
    });
    const { subscribers } = await listSubscribers(db(), { search: 'import.example' });
    expect(subscribers.map((s) => [s.email, s.state]).sort()).toEqual([
      ['ann@import.example', 'confirmed'],
      ['cy@import.example', 'confirmed'],
      ['one@import.example', 'confirmed'],
      ['two@import.example', 'confirmed'],
    ]);
    expect(subscribers.find((s) => s.email === 'ann@import.example')!.componentIds).toEqual([pub.id]);
    // Imported people agreed elsewhere: no confirmation email is queued for them.
    const confirms = await db().select().from(outbox).where(eq(outbox.topic, 'subscriber.confirm'));
    expect(confirms.filter((o) => subscribers.some((s) => s.id === o.payload.subscriberId))).toEqual([]);
    await expect(importSubscribers(db(), comms, 'a@b.io\n'.repeat(5_001))).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('reordering from the components page', () => {
  it('moves a component within its group and a group among the top-level items, through the service', async () => {
    const own = await createTestDatabase();
    try {
      const d = own.handle.db;
      const g1 = await createGroup(d, system, { name: 'G1', position: 5 });
      const g2 = await createGroup(d, system, { name: 'G2', position: 5 });
      const a = await createComponent(d, system, { name: 'A', groupId: g1.id, position: 0 });
      const b = await createComponent(d, system, { name: 'B', groupId: g1.id, position: 0 });
      const loose = await createComponent(d, system, { name: 'Loose', position: 1 });
      const post = (caller: Caller, fields: Record<string, string>) =>
        loadComponentsPage(
          d,
          caller,
          new Request('http://x/admin/components', { method: 'POST', body: new URLSearchParams(fields) }),
        );

      const refused = await post(responder, { intent: 'move', type: 'component', id: b.id, direction: 'up' });
      expect(refused).toMatchObject({ kind: 'view', status: 403 });

      const moved = await post(admin, { intent: 'move', type: 'component', id: b.id, direction: 'up' });
      expect(moved).toMatchObject({ kind: 'view', status: 200, view: { form: { notice: 'B moved up.' } } });
      const order = (await listComponents(d)).filter((c) => c.groupId === g1.id).map((c) => c.name);
      expect(order).toEqual(['B', 'A']);

      // Top level: Loose (1), G1 (5), G2 (5). Moving G2 up puts it before G1.
      await post(admin, { intent: 'move', type: 'group', id: g2.id, direction: 'up' });
      const groups = await listGroups(d);
      expect(groups.map((g) => g.name)).toEqual(['G2', 'G1']);
      expect((await listComponents(d)).find((c) => c.id === loose.id)!.position).toBe(1);
      const edge = await post(admin, { intent: 'move', type: 'component', id: loose.id, direction: 'up' });
      expect(edge).toMatchObject({ view: { form: { notice: 'Loose is already first.' } } });

      const status = await post(responder, { intent: 'status', component_id: a.id, status: 'major_outage' });
      expect(status).toMatchObject({ status: 200 });
      const badStatus = await post(responder, { intent: 'status', component_id: a.id, status: 'on_fire' });
      expect(badStatus).toMatchObject({ status: 422, view: { target: a.id } });
      const unknown = await post(responder, { intent: 'status', component_id: 'nosuchcompo0', status: 'operational' });
      expect(unknown).toMatchObject({ status: 404 });
      const moves = (await d.select().from(auditLog)).filter((e) => e.action === 'component.update');
      expect(moves.length).toBeGreaterThan(0);
    } finally {
      await own.drop();
    }
  });
});
