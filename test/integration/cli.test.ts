/**
 * The CLI as a person or a script runs it: `node scripts/vigie.mjs …` in a child process,
 * against the test database.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { apiTokens, users } from '../../src/db/schema/index.ts';
import { hashSecret } from '../../src/server/ids.ts';
import { verifyPassword } from '../../src/server/users/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase({ onDisk: true });
  // The CLI opens the database itself; PGlite allows one process at a time.
  await t.close();
});
afterAll(() => t.drop());

async function vigie(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(root, 'scripts/vigie.mjs'), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, ...t.env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function withDb<T>(fn: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>): Promise<T> {
  const h = await openDatabase({ databaseUrl: t.env.DATABASE_URL, dataDir: t.env.VIGIE_DATA_DIR });
  try {
    return await fn(h.db);
  } finally {
    await h.close();
  }
}

describe('vigie CLI', () => {
  it('migrate applies migrations and says where', async () => {
    const r = await vigie('migrate');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Migrations applied/);
  });

  it('user:add without --password prints a generated password alone on the last line', async () => {
    const r = await vigie('user:add', '--email', 'Lead@Example.com', '--role', 'comms', '--name', 'Lea');
    expect(r.code).toBe(0);
    const password = r.stdout.trim().split('\n').at(-1)!;
    expect(password).toMatch(/^\S{20}$/);
    const user = await withDb(
      async (db) => (await db.select().from(users).where(eq(users.email, 'lead@example.com')))[0],
    );
    expect(user.role).toBe('comms');
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(user.passwordHash, password)).toBe(true);
  });

  it('user:add rejects a bad role and a duplicate email with a clear message', async () => {
    const bad = await vigie('user:add', '--email', 'x@example.com', '--role', 'root');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Role must be one of/);
    const dup = await vigie(
      'user:add',
      '--email',
      'lead@example.com',
      '--role',
      'viewer',
      '--password',
      'a-long-enough-password',
    );
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists/);
    const missing = await vigie('user:add', '--email', 'y@example.com');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/needs --email and --role/);
  });

  it('token:add prints the token once, on the last line, and stores only its hash', async () => {
    const r = await vigie('token:add', '--name', 'Monitoring', '--role', 'responder');
    expect(r.code).toBe(0);
    const token = r.stdout.trim().split('\n').at(-1)!;
    expect(token).toMatch(/^vigie_[A-Za-z0-9_-]{43}$/);
    const rows = await withDb((db) => db.select().from(apiTokens));
    expect(rows).toHaveLength(1);
    expect(rows[0].tokenHash).toBe(hashSecret(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('demo:seed loads content once and refuses a second time', async () => {
    const first = await vigie('demo:seed');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/12 components/);
    const second = await vigie('demo:seed');
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/empty/);
  });

  it('answers an unknown command with the usage and exit code 2', async () => {
    const r = await vigie('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown command "frobnicate"/);
    expect(r.stderr).toMatch(/user:add --email E --role R/);
  });
});
